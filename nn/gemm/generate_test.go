package gemm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedUpToDate regenerates the assembly and its stubs with the avo
// generator and checks that the committed files are what it writes.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the avo generator; skipped in -short mode")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	dir := t.TempDir()
	out, stubs := filepath.Join(dir, "kern_amd64.s"), filepath.Join(dir, "kern_amd64.go")
	cmd := exec.Command(gobin, "run", "./internal/asmgen", "-pkg", "gemm", "-out", out, "-stubs", stubs)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/asmgen: %v\n%s", err, msg)
	}
	for _, name := range []string{"kern_amd64.s", "kern_amd64.go"} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		// The first line names the command, including the output paths.
		if !bytes.Equal(dropFirstLine(got), dropFirstLine(want)) {
			t.Errorf("%s is stale: run go generate ./nn/gemm", name)
		}
	}
}

func dropFirstLine(b []byte) []byte {
	s := string(b)
	if !strings.HasPrefix(s, "// Code generated") {
		return b
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return []byte(s[i+1:])
	}
	return nil
}
