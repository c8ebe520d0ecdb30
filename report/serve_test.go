package report

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServerRebuildsAsResultsLand(t *testing.T) {
	src := synthInput(20, 0, 1, 4)
	prep, runs := filepath.Join(t.TempDir(), "prep"), filepath.Join(t.TempDir(), "runs")
	writePrepared(t, prep, src)
	srv := NewServer(runs, prep)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// No store yet: the server says so and builds nothing.
	if changed, err := srv.Rebuild(); changed || err == nil {
		t.Errorf("Rebuild without a store: changed %v, error %v", changed, err)
	}
	if code, body := get(t, ts.URL+"/"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not a result store") {
		t.Errorf("before the first build: %d %q", code, body)
	}

	models := testZoo(t)
	writeStore(t, runs, prep, models[:2], []int64{1})
	if changed, err := srv.Rebuild(); !changed || err != nil {
		t.Fatalf("first Rebuild: changed %v, error %v", changed, err)
	}
	if changed, err := srv.Rebuild(); changed || err != nil {
		t.Errorf("Rebuild with nothing new: changed %v, error %v", changed, err)
	}
	code, page := get(t, ts.URL+"/")
	_, v1 := get(t, ts.URL+"/version")
	v1 = strings.TrimSpace(v1)
	if code != http.StatusOK || BuildID([]byte(page)) != v1 || len(v1) != 16 {
		t.Fatalf("page %d with build %q, /version %q", code, BuildID([]byte(page)), v1)
	}
	if strings.Contains(page, `data-model="`+models[3].Spec.ID()+`"`) {
		t.Fatal("page shows a model not trained yet")
	}

	// Results land: the next rebuild serves a new page with a new version.
	writeStore(t, runs, prep, models[:4], []int64{1})
	if changed, err := srv.Rebuild(); !changed || err != nil {
		t.Fatalf("Rebuild after new results: changed %v, error %v", changed, err)
	}
	_, v2 := get(t, ts.URL+"/version")
	_, page = get(t, ts.URL+"/")
	if strings.TrimSpace(v2) == v1 {
		t.Error("version did not change after new results")
	}
	if !strings.Contains(page, `data-model="`+models[3].Spec.ID()+`"`) {
		t.Error("page does not show the new model")
	}

	code, svg := get(t, ts.URL+"/figures/decay_mlp.svg")
	if code != http.StatusOK || !strings.Contains(svg, "<svg") {
		t.Errorf("figure: %d %.80q", code, svg)
	}
	if code, _ := get(t, ts.URL+"/figures/nothing.png"); code != http.StatusNotFound {
		t.Errorf("unknown figure: %d", code)
	}
	if code, _ := get(t, ts.URL+"/../etc/passwd"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	resp, err := http.Post(ts.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}
