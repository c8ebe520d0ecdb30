//go:build unix

package sweep

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Lock is a held job lock.
type Lock struct {
	f    *os.File
	path string
}

// TryLock takes the lock of job key without waiting. It returns nil (and
// no error) when another process, or another worker of this one, holds it.
//
// The lock is flock(2) on jobs/<key>.lock: the kernel drops it when its
// holder exits, however it dies (kill -9 included), so a dead process never
// keeps a job. After locking, the file is checked to still be the one at
// the path (a finishing holder unlinks it), so two processes never both
// believe they hold a job. The file records the holder's pid, host and
// start time for people, not for the protocol. Limits: flock works between
// processes of one host and on local file systems; on NFS (Linux ≥ 2.6.12
// emulates it with POSIX byte-range locks) it needs working lock daemons,
// and on other shared file systems it may be advisory only per client, so
// a store shared by several hosts needs a queue (a later engine) instead.
func (s *Store) TryLock(key string) (*Lock, error) {
	path := s.path(key, ".lock")
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("sweep: lock: %w", err)
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, nil
			}
			return nil, fmt.Errorf("sweep: lock %s: %w", path, err)
		}
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			f.Close() // the holder we waited for removed it: start over
			continue
		}
		host, _ := os.Hostname()
		f.Truncate(0)
		fmt.Fprintf(f, "pid %d\nhost %s\nstart %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
		return &Lock{f: f, path: path}, nil
	}
}

// Unlock removes the lock file and releases the lock.
func (l *Lock) Unlock() error {
	err := os.Remove(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
