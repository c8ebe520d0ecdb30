package quickdraw

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Stroke is one pen stroke of a simplified drawing: the points
// (X[i], Y[i]) joined by straight lines, in 0–255 space.
type Stroke struct {
	X, Y []uint8
}

// Drawing is one line of a simplified .ndjson file.
type Drawing struct {
	Word        string // the category
	CountryCode string // two-letter country code of the player
	Timestamp   string // when the drawing was made, as in the file
	KeyID       string // unique id of the drawing
	Recognized  bool   // whether the game's classifier recognized it
	Strokes     []Stroke
}

// MaxLine bounds the length of one .ndjson line in bytes. The longest
// official simplified drawings take a few tens of kilobytes.
const MaxLine = 1 << 20

// StrokeReader streams the drawings of a simplified .ndjson file.
type StrokeReader struct {
	sc    *bufio.Scanner
	c     io.Closer
	name  string
	limit int
	line  int // lines read so far
	n     int // drawings returned so far
}

// NewStrokeReader returns a reader of the first limit drawings of the
// .ndjson data in r (all when limit ≤ 0). name identifies the file in
// errors. If r is an io.Closer, Close closes it.
func NewStrokeReader(r io.Reader, name string, limit int) (*StrokeReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	s := &StrokeReader{sc: sc, name: name, limit: limit}
	if c, ok := r.(io.Closer); ok {
		s.c = c
	}
	return s, nil
}

// ndjsonLine is the JSON form of one line of the simplified files.
type ndjsonLine struct {
	Word        string      `json:"word"`
	CountryCode string      `json:"countrycode"`
	Timestamp   string      `json:"timestamp"`
	Recognized  bool        `json:"recognized"`
	KeyID       string      `json:"key_id"`
	Drawing     [][][]int64 `json:"drawing"`
}

// Next returns the next drawing, or io.EOF after the last one (or after
// limit drawings). Blank lines are skipped. Errors name the file and the
// line: not JSON, a stroke whose x and y lists differ in length,
// coordinates outside 0–255, a drawing without strokes, a line longer than
// MaxLine.
func (s *StrokeReader) Next() (Drawing, error) {
	if s.limit > 0 && s.n >= s.limit {
		return Drawing{}, io.EOF
	}
	for {
		if !s.sc.Scan() {
			err := s.sc.Err()
			if err == nil {
				return Drawing{}, io.EOF
			}
			if errors.Is(err, bufio.ErrTooLong) {
				return Drawing{}, fmt.Errorf("ndjson: %s:%d: line longer than %d bytes", s.name, s.line+1, MaxLine)
			}
			return Drawing{}, fmt.Errorf("ndjson: %s:%d: %w", s.name, s.line+1, err)
		}
		s.line++
		b := bytes.TrimSpace(s.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		d, err := parseDrawing(b)
		if err != nil {
			if rerr := s.sc.Err(); rerr != nil {
				// The scanner hands over the part of a line that a read
				// error cut (a dropped download): report the cause.
				return Drawing{}, fmt.Errorf("ndjson: %s:%d: %w", s.name, s.line, rerr)
			}
			return Drawing{}, fmt.Errorf("ndjson: %s:%d: %w", s.name, s.line, err)
		}
		s.n++
		return d, nil
	}
}

// Line returns the number of the line that the last drawing came from (1-based).
func (s *StrokeReader) Line() int { return s.line }

// Close closes the underlying reader if it is an io.Closer.
func (s *StrokeReader) Close() error {
	if s.c != nil {
		c := s.c
		s.c = nil
		return c.Close()
	}
	return nil
}

func parseDrawing(b []byte) (Drawing, error) {
	var l ndjsonLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Drawing{}, fmt.Errorf("not a drawing in JSON: %w", err)
	}
	if len(l.Drawing) == 0 {
		return Drawing{}, errors.New("drawing has no strokes")
	}
	d := Drawing{
		Word: l.Word, CountryCode: l.CountryCode, Timestamp: l.Timestamp,
		KeyID: l.KeyID, Recognized: l.Recognized,
		Strokes: make([]Stroke, len(l.Drawing)),
	}
	for k, st := range l.Drawing {
		if len(st) != 2 {
			return Drawing{}, fmt.Errorf("stroke %d has %d lists, want 2 (x, y)", k, len(st))
		}
		xs, ys := st[0], st[1]
		if len(xs) != len(ys) {
			return Drawing{}, fmt.Errorf("stroke %d: %d x but %d y coordinates", k, len(xs), len(ys))
		}
		if len(xs) == 0 {
			return Drawing{}, fmt.Errorf("stroke %d is empty", k)
		}
		// One backing array for both coordinate lists.
		buf := make([]uint8, 2*len(xs))
		for i := range xs {
			x, y := xs[i], ys[i]
			if x < 0 || x > 255 || y < 0 || y > 255 {
				return Drawing{}, fmt.Errorf("stroke %d point %d: (%d, %d) outside 0–255", k, i, x, y)
			}
			buf[i], buf[len(xs)+i] = uint8(x), uint8(y)
		}
		d.Strokes[k] = Stroke{X: buf[:len(xs):len(xs)], Y: buf[len(xs):]}
	}
	return d, nil
}
