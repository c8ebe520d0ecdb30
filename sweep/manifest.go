package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MaxManifestSize is the largest manifest file ReadManifests reads. A
// manifest lists a sweep's job keys (about 70 bytes each), so this bounds
// a sweep at well over a million jobs, and a damaged or hostile file
// cannot make a reader allocate without limit.
const MaxManifestSize = 256 << 20

// ReadManifests reads the JSON manifests that the scale-out engines (the
// NATS queue, Slurm) keep in a sub-folder dir of a result store: every
// regular file of dir whose name match accepts is decoded into a T and
// then checked by check (when not nil), which is given the file's name and
// returns what is wrong with the manifest. A folder that does not exist
// holds no manifest (nil, nil). The manifests come in the order of their
// file names; callers sort them as their format requires.
//
// Errors name the file: a file that does not decode, is larger than
// MaxManifestSize, or fails check is an error, not skipped, so a damaged
// manifest is noticed rather than its jobs silently forgotten.
func ReadManifests[T any](dir string, match func(name string) bool, check func(name string, m *T) error) ([]T, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ms []T
	for _, e := range ents {
		if !match(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		m, err := readManifest(path, e.Name(), check)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func readManifest[T any](path, name string, check func(name string, m *T) error) (T, error) {
	var m T
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return m, err
	}
	if !fi.Mode().IsRegular() {
		return m, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > MaxManifestSize {
		return m, fmt.Errorf("%s: %d bytes, more than a manifest may hold (%d)", path, fi.Size(), MaxManifestSize)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	if check != nil {
		if err := check(name, &m); err != nil {
			return m, fmt.Errorf("%s: %w", path, err)
		}
	}
	return m, nil
}
