//go:build !unix

package sweep

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Lock is a held job lock.
type Lock struct {
	f    *os.File
	path string
}

// TryLock takes the lock of job key without waiting, or returns nil when
// another holder has it. Without flock(2) the lock is an O_EXCL file: a
// process that dies while holding it leaves it behind, and it must be
// removed by hand (its content names the holder).
func (s *Store) TryLock(key string) (*Lock, error) {
	path := s.path(key, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sweep: lock: %w", err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(f, "pid %d\nhost %s\nstart %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	return &Lock{f: f, path: path}, nil
}

// Unlock removes the lock file.
func (l *Lock) Unlock() error {
	l.f.Close()
	return os.Remove(l.path)
}
