// Package testenv locates the real QuickDraw test data for tests.
//
// Tests find the data through FLUENS_TESTDATA (default ../shared/quickdraw
// from the repository root). Where it is missing they skip with a message,
// unless FLUENS_REQUIRE_TESTDATA=1, where they fail.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// QuickDraw returns the folder of the QuickDraw test data (holding
// numpy_bitmap/ and simplified/), or skips (fails if required) the test
// when it is missing.
func QuickDraw(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("FLUENS_TESTDATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "quickdraw")
	}
	if _, err := os.Stat(filepath.Join(dir, "numpy_bitmap")); err != nil {
		msg := "QuickDraw test data not found at " + dir + " (set FLUENS_TESTDATA)"
		if os.Getenv("FLUENS_REQUIRE_TESTDATA") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// RepoRoot returns the root of the repository (the folder with go.mod).
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testenv: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
