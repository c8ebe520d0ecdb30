package queue

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/nats-io/nats-server/v2/server"
)

// TestConnectRefusesOpenServerBeyondLoopback starts a NATS server that
// asks for no authentication on an address beyond loopback (as someone
// else's server might be) and checks that a worker or submitter refuses
// it even when it holds credentials: anyone who reaches such a server can
// publish jobs to the workers.
func TestConnectRefusesOpenServerBeyondLoopback(t *testing.T) {
	host := otherAddr(t)
	ns, err := server.NewServer(&server.Options{Host: host, Port: server.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	url := "nats://" + net.JoinHostPort(host, strconv.Itoa(ns.Addr().(*net.TCPAddr).Port))
	for _, a := range []Auth{{Token: "s3cret"}, {User: "ann", Password: "pw"}} {
		nc, err := Connect(url, "test", a)
		if err == nil {
			nc.Close()
			t.Errorf("Connect with %+v to an open server beyond loopback succeeded", a)
			continue
		}
		if !strings.Contains(err.Error(), "without authentication") {
			t.Errorf("Connect with %+v: %v", a, err)
		}
	}
	// The same open server reached over loopback is fine (one machine).
	ln, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ln.Start()
	defer ln.Shutdown()
	if !ln.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	nc, err := Connect("nats://"+ln.Addr().String(), "test", Auth{})
	if err != nil {
		t.Fatalf("Connect to an open loopback server: %v", err)
	}
	nc.Close()
}

// TestStoreResultStaysInStore sends a result whose record names a key that
// climbs out of the store ("../../…"): nothing may be written outside the
// collector's folders.
func TestStoreResultStaysInStore(t *testing.T) {
	key := strings.Repeat("ab", 32)
	outside := t.TempDir()
	store, err := sweep.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.Repeat("../", 12) + strings.TrimPrefix(filepath.Join(outside, "pwned"), "/")
	rec := sweep.Record{Key: evil, Spec: "linear", Mix: "conv_div_mix_00", Hyper: sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01},
		TrainLoss: []sweep.Float{1}, TestAcc: []sweep.Float{0.5}, PerClass: []sweep.Float{0.5}}
	raw, _ := json.Marshal(rec)
	body, _ := json.Marshal(ResultMsg{Key: key, Record: raw})
	_, err = storeResult(store, key, body, func(string) ([]byte, error) { return nil, nil })
	if err == nil {
		t.Error("a record with a climbing key was stored")
	}
	ents, _ := os.ReadDir(outside)
	for _, e := range ents {
		t.Errorf("the result wrote %s outside the store", filepath.Join(outside, e.Name()))
	}
	if _, err := store.Load(evil); err == nil || errors.Is(err, sweep.ErrNoRecord) {
		t.Errorf("Load of a climbing key: %v, want a refusal", err)
	}
}
