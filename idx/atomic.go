package idx

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeAtomic writes path through write: into a temporary file in the same
// folder, flushed and fsynced, then renamed over path, so that a reader
// never sees a half-written file.
func writeAtomic(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	if err := writeSynced(f, path, write); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("idx: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeNew creates path, which must not exist, and writes it through
// write, synced. Export uses it inside its temporary folder, whose rename
// makes the whole folder appear at once.
func writeNew(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	return writeSynced(f, path, write)
}

// writeSynced writes f through write, buffered, then fsyncs and closes it;
// path names the destination in errors. f is closed in every case.
func writeSynced(f *os.File, path string, write func(w io.Writer) error) (err error) {
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("idx: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("idx: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("idx: %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("idx: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("idx: %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a folder so that the renames and creations in it last.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("idx: sync %s: %w", dir, err)
	}
	return nil
}

// randomSuffix returns 8 random hex digits for temporary names.
func randomSuffix() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
