package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue/enginetest"
	"github.com/fluens-lab/fluens/zoo"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	s, err := Serve(ServerOptions{Addr: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// TestSubmitWorkCollectInProcess runs the perceptron on every mix through
// the library, with one job whose data hash no worker can match: it fails
// for good (MaxDeliver 1) and Collect reports it.
func TestSubmitWorkCollectInProcess(t *testing.T) {
	prep := enginetest.Prepare(t)
	mixes, err := sweep.FindMixes(prep)
	if err != nil {
		t.Fatal(err)
	}
	h := sweep.Hyper{Epochs: 1, Batch: 64, LR: 0.001}
	jobs := sweep.Jobs([]zoo.Model{{Family: zoo.MLP, Spec: zoo.Spec{}}}, mixes, []int64{1}, h)
	bad := &jobs[10]
	bad.Mix.Hash = strings.Repeat("0", 64)
	bad.Key = sweep.Key(bad.Model.Spec, bad.Mix.Name, bad.Mix.Hash, bad.Seed, h, sweep.EngineVersion)

	s := testServer(t)
	nc, err := Connect(s.URL(), "test", Auth{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	store, err := sweep.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := SubmitOptions{Data: prep} // default AckWait and MaxDeliver
	sum, err := Submit(ctx, nc, store, jobs, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Published != 11 || sum.Total != 11 {
		t.Fatalf("first submit: %+v", sum)
	}
	sum, err = Submit(ctx, nc, store, jobs, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Published != 0 || sum.Queued != 11 {
		t.Fatalf("second submit queued jobs twice: %+v", sum)
	}
	// The worker starts on the default settings; MaxDeliver then drops to
	// 1, which the worker must follow: the bad job (the last, so that the
	// change lands before the worker reaches it) fails for good at its
	// first attempt, not its fifth.
	w := &Worker{Conn: nc, Slots: 2, Threads: 1, IdleExit: 3 * time.Second, Logf: t.Logf}
	werr := make(chan error, 1)
	go func() { werr <- w.Run(ctx) }()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Setup(ctx, js, StreamOptions{AckWait: 10 * time.Second, MaxDeliver: 1}); err != nil {
		t.Fatal(err)
	}
	col, err := Collect(ctx, nc, store, CollectOptions{Wait: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if col.Total != 11 || col.Stored != 10 || col.Missing != 1 || len(col.Failed) != 1 {
		t.Fatalf("collect: %+v", col)
	}
	if f := col.Failed[0]; f.Index != 10 || !f.Final || f.Attempt != 1 || !strings.Contains(f.Error, "other data") {
		t.Errorf("failure report %+v", f)
	}
	for i, j := range jobs {
		r, err := store.Load(j.Key)
		if i == 10 {
			if err == nil {
				t.Error("the failed job has a record")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Weights == "" {
			t.Errorf("job %d: the perceptron's weights were not kept", i)
		}
	}
	st, err := StatusOf(ctx, nc, store)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 11 || st.Done != 10 || st.Failed != 1 || st.Collectable != 0 || st.Waiting != 0 || st.InFlight != 0 || st.Results != 10 {
		t.Errorf("status %+v", *st)
	}
	// Collecting again stores nothing new and reports the failure again.
	col, err = Collect(ctx, nc, store, CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if col.Stored != 0 || col.Missing != 1 || len(col.Failed) != 1 {
		t.Errorf("second collect: %+v", col)
	}
}

func TestStoreResultRejectsHostileResults(t *testing.T) {
	key := strings.Repeat("ab", 32)
	rec := sweep.Record{Key: key, Spec: "linear", Mix: "conv_div_mix_00", Hyper: sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01},
		TrainLoss: []sweep.Float{1}, TestAcc: []sweep.Float{0.5}, PerClass: []sweep.Float{0.5}, Weights: key + ".safetensors"}
	good, _ := json.Marshal(rec)
	other := rec
	other.Key = strings.Repeat("cd", 32)
	otherJSON, _ := json.Marshal(other)
	noWeights := rec
	noWeights.Weights = ""
	noWeightsJSON, _ := json.Marshal(noWeights)
	for name, res := range map[string]ResultMsg{
		"key mismatch":      {Key: other.Key, Record: good},
		"record of another": {Key: key, Record: otherJSON},
		"damaged record":    {Key: key, Record: json.RawMessage(`{"key":1}`)},
		"unknown field":     {Key: key, Record: json.RawMessage(`{"key":"` + key + `","evil":1}`)},
		"path traversal":    {Key: key, Record: good, Files: []string{"../../" + key + ".safetensors"}},
		"two files":         {Key: key, Record: good, Files: []string{key + ".safetensors", key + ".safetensors"}},
		"unnamed file":      {Key: key, Record: noWeightsJSON, Files: []string{key + ".safetensors"}},
		"missing weights":   {Key: key, Record: good},
		"unfetchable":       {Key: key, Record: good, Files: []string{key + ".safetensors"}},
	} {
		store, err := sweep.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(res)
		fetch := func(name string) ([]byte, error) { return []byte{1, 2, 3}, nil }
		if name == "unfetchable" {
			fetch = func(name string) ([]byte, error) { return nil, fmt.Errorf("no %s", name) }
		}
		if _, err := storeResult(store, key, body, fetch); err == nil {
			t.Errorf("%s: stored", name)
		}
		if recs, _, _ := store.Records(); len(recs) != 0 {
			t.Errorf("%s: left a record", name)
		}
	}
	store, err := sweep.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(ResultMsg{Key: key, Record: good, Files: []string{key + ".safetensors"}})
	fetch := func(name string) ([]byte, error) { return []byte{1, 2, 3}, nil }
	if _, err := storeResult(store, key, body, fetch); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(key); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(store.Dir, sweep.JobsDir, key+".safetensors")); err != nil || string(b) != "\x01\x02\x03" {
		t.Errorf("weights %q, %v", b, err)
	}
}

func FuzzStoreResult(f *testing.F) {
	key := strings.Repeat("ab", 32)
	rec := sweep.Record{Key: key, Spec: "linear", Mix: "conv_div_mix_00", Hyper: sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01},
		TrainLoss: []sweep.Float{1}, TestAcc: []sweep.Float{0.5}, PerClass: []sweep.Float{0.5}}
	good, _ := json.Marshal(rec)
	body, _ := json.Marshal(ResultMsg{Key: key, Record: good})
	f.Add(body)
	f.Add([]byte(`{"key":"` + key + `","record":{},"files":["x"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		store, err := sweep.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fetch := func(name string) ([]byte, error) { return []byte(name), nil }
		if _, err := storeResult(store, key, body, fetch); err != nil {
			return
		}
		// What is accepted reads back as a valid record of the key.
		if _, err := store.Load(key); err != nil {
			t.Fatalf("stored a record that does not load: %v", err)
		}
	})
}
