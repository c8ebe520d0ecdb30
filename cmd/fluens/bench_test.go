package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchCommand runs fluens bench briefly on two figures and checks its
// JSON output, and its refusal of bad flags.
func TestBenchCommand(t *testing.T) {
	bin := buildFluens(t)
	out, code := runFluens(t, bin, "bench", "--json", "--duration", "20ms", "--threads", "1", "--only", "gemm_512x512x256,W1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var figs []map[string]any
	if err := json.Unmarshal([]byte(out), &figs); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	if len(figs) != 2 || figs[0]["name"] != "gemm_512x512x256" || figs[1]["name"] != "W1" {
		t.Fatalf("figures %v", figs)
	}
	if g, _ := figs[0]["gflops"].(float64); !(g > 0) {
		t.Errorf("gemm figure without gflops: %v", figs[0])
	}
	if ips, _ := figs[1]["images_per_sec"].(float64); !(ips > 0) {
		t.Errorf("W1 figure without images_per_sec: %v", figs[1])
	}
	for _, f := range figs {
		if f["threads"] != 1.0 || f["kernel"] == "" {
			t.Errorf("figure %v: want threads 1 and a kernel name", f)
		}
	}
	for _, bad := range [][]string{{"--threads", "0"}, {"--duration", "0s"}, {"--only", "W9"}} {
		out, code := runFluens(t, bin, append([]string{"bench"}, bad...)...)
		if code == 0 || !strings.Contains(out, "bench:") {
			t.Errorf("bench %v: exit %d, output %q", bad, code, out)
		}
	}
}
