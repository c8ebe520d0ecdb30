package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type testManifest struct {
	ID   int      `json:"id"`
	Keys []string `json:"keys"`
}

func TestReadManifests(t *testing.T) {
	isManifest := func(name string) bool { return strings.HasPrefix(name, "m-") && strings.HasSuffix(name, ".json") }
	check := func(name string, m *testManifest) error {
		if m.ID < 0 {
			return errors.New("negative id")
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		files map[string]string // nil: no folder at all
		dirs  []string          // sub-folders
		want  []testManifest
		err   string // a part of the error; "" for none
	}{
		{name: "no folder", files: nil, want: nil},
		{name: "empty folder", files: map[string]string{}, want: nil},
		{
			name: "in file-name order, others skipped",
			files: map[string]string{
				"m-2.json": `{"id":2,"keys":["b"]}`,
				"m-1.json": `{"id":1,"keys":["a"],"newer_field":true}`,
				"x-3.json": `{`, // not a manifest: never read
				"m-4.txt":  `{`,
			},
			want: []testManifest{{1, []string{"a"}}, {2, []string{"b"}}},
		},
		{name: "damaged JSON", files: map[string]string{"m-1.json": `{"id":1`}, err: "m-1.json: unexpected end"},
		{name: "trailing data", files: map[string]string{"m-1.json": `{"id":1} {}`}, err: "m-1.json: invalid character"},
		{name: "empty file", files: map[string]string{"m-1.json": ``}, err: "m-1.json: unexpected end"},
		{name: "wrong type", files: map[string]string{"m-1.json": `{"id":"one"}`}, err: "m-1.json: json: cannot unmarshal"},
		{name: "check fails", files: map[string]string{"m-1.json": `{"id":-1}`}, err: "m-1.json: negative id"},
		{name: "folder with a manifest's name", files: map[string]string{}, dirs: []string{"m-1.json"}, err: "m-1.json: not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "manifests")
			if tc.files != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range tc.dirs {
				if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			ms, err := ReadManifests(dir, isManifest, check)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ms, tc.want) {
				t.Errorf("read %+v, want %+v", ms, tc.want)
			}
		})
	}
}

// TestReadManifestsNilCheck reads without a check, and reports a folder
// that cannot be listed.
func TestReadManifestsNilCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"id":-1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	ms, err := ReadManifests[testManifest](dir, all, nil)
	if err != nil || len(ms) != 1 || ms[0].ID != -1 {
		t.Fatalf("%+v, %v", ms, err)
	}
	file := filepath.Join(dir, "a.json")
	if _, err := ReadManifests[testManifest](file, all, nil); err == nil {
		t.Error("a file read as a folder of manifests")
	}
}
