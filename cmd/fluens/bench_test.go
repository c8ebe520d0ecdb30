package main

import (
	"encoding/json"
	"os"
	"os/exec"
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
	// With an assembly path, asking for fma_peak adds that figure first and
	// gives the GEMM figure its share of it.
	out, code = runFluens(t, bin, "bench", "--json", "--duration", "20ms", "--threads", "1", "--only", "fma_peak,gemm_512x512x256")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var peakFigs []map[string]any
	if err := json.Unmarshal([]byte(out), &peakFigs); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	if last := peakFigs[len(peakFigs)-1]; last["name"] != "gemm_512x512x256" {
		t.Fatalf("figures %v: want the GEMM figure last", peakFigs)
	}
	if peakFigs[0]["kernel"] != "generic" {
		if len(peakFigs) != 2 || peakFigs[0]["name"] != "fma_peak" {
			t.Fatalf("figures %v: want fma_peak then the GEMM figure", peakFigs)
		}
		if g, _ := peakFigs[0]["gflops"].(float64); !(g > 0) {
			t.Errorf("fma_peak without gflops: %v", peakFigs[0])
		}
		if p, _ := peakFigs[1]["pct_of_peak"].(float64); !(p > 0) {
			t.Errorf("GEMM figure without pct_of_peak: %v", peakFigs[1])
		}
	}
	for _, f := range append(figs, peakFigs...) {
		if f["threads"] != 1.0 || f["kernel"] == "" {
			t.Errorf("figure %v: want threads 1 and a kernel name", f)
		}
	}
	// On the pure-Go path there is no FMA loop to time: asking for
	// fma_peak alone is an error that says why.
	cmd := exec.Command(bin, "bench", "--only", "fma_peak")
	cmd.Env = append(os.Environ(), "FLUENS_GEMM=generic")
	if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "needs an assembly kernel") {
		t.Errorf("bench --only fma_peak on the pure-Go path: err %v, output %q", err, msg)
	}
	for _, bad := range [][]string{{"--threads", "0"}, {"--duration", "0s"}, {"--only", "W9"}} {
		out, code := runFluens(t, bin, append([]string{"bench"}, bad...)...)
		if code == 0 || !strings.Contains(out, "bench:") {
			t.Errorf("bench %v: exit %d, output %q", bad, code, out)
		}
	}
}
