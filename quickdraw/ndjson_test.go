package quickdraw

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
)

const goodLine = `{"word":"cat","countrycode":"VE","timestamp":"2017-03-02 23:25:10.07453 UTC","recognized":true,"key_id":"5201136883597312","drawing":[[[130,113,99],[72,40,27]],[[0],[255]]]}`

func TestStrokeReader(t *testing.T) {
	in := goodLine + "\n\n" + strings.Replace(goodLine, `"recognized":true`, `"recognized":false`, 1) + "\n" + goodLine
	r, err := NewStrokeReader(strings.NewReader(in), "cat.ndjson", 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := Drawing{
		Word: "cat", CountryCode: "VE", Timestamp: "2017-03-02 23:25:10.07453 UTC",
		KeyID: "5201136883597312", Recognized: true,
		Strokes: []Stroke{{X: []uint8{130, 113, 99}, Y: []uint8{72, 40, 27}}, {X: []uint8{0}, Y: []uint8{255}}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got %+v\nwant %+v", d, want)
	}
	d, err = r.Next() // the blank line is skipped
	if err != nil || d.Recognized || r.Line() != 3 {
		t.Fatalf("second drawing: %+v, line %d, %v", d, r.Line(), err)
	}
	if _, err := r.Next(); err != nil { // last line without a newline
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}

	r, _ = NewStrokeReader(strings.NewReader(in), "cat.ndjson", 2)
	n := 0
	for ; ; n++ {
		if _, err := r.Next(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
	}
	if n != 2 {
		t.Fatalf("limit 2 gave %d drawings", n)
	}
}

func TestStrokeReaderErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", "{\"word\": ", "x.ndjson:1: not a drawing in JSON"},
		{"second line bad", goodLine + "\nhello\n", "x.ndjson:2: not a drawing in JSON"},
		{"no strokes", `{"word":"cat","drawing":[]}`, "x.ndjson:1: drawing has no strokes"},
		{"no drawing", `{"word":"cat"}`, "x.ndjson:1: drawing has no strokes"},
		{"lengths differ", `{"drawing":[[[1,2,3],[4,5]]]}`, "x.ndjson:1: stroke 0: 3 x but 2 y coordinates"},
		{"x above 255", `{"drawing":[[[1,2],[3,4]],[[256],[0]]]}`, "x.ndjson:1: stroke 1 point 0: (256, 0) outside 0–255"},
		{"negative y", `{"drawing":[[[1,2],[3,-4]]]}`, "outside 0–255"},
		{"float", `{"drawing":[[[1.5],[3]]]}`, "not a drawing in JSON"},
		{"three lists", `{"drawing":[[[1],[3],[7]]]}`, "stroke 0 has 3 lists, want 2 (x, y)"},
		{"empty stroke", `{"drawing":[[[],[]]]}`, "stroke 0 is empty"},
		{"too long", `{"word":"` + strings.Repeat("a", MaxLine+10) + `"}`, "x.ndjson:1: line longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewStrokeReader(strings.NewReader(tt.in), "x.ndjson", 0)
			if err != nil {
				t.Fatal(err)
			}
			for {
				_, err = r.Next()
				if err != nil {
					break
				}
			}
			if err == io.EOF || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "ndjson: x.ndjson:") {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// Every simplified file of the test data parses: 25 drawings of the file's
// category each.
func TestStrokeReaderRealData(t *testing.T) {
	dir := filepath.Join(testenv.QuickDraw(t), "simplified")
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil || len(files) != 344 {
		t.Fatalf("%d files, %v; want 344", len(files), err)
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := NewStrokeReader(f, p, 0)
		n := 0
		cat := strings.TrimSuffix(filepath.Base(p), ".ndjson")
		for {
			d, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Word != cat || len(d.Strokes) == 0 {
				t.Fatalf("%s: drawing of %q with %d strokes", p, d.Word, len(d.Strokes))
			}
			n++
		}
		r.Close()
		if n != 25 {
			t.Fatalf("%s: %d drawings, want 25", p, n)
		}
	}
}

func FuzzStrokeReader(f *testing.F) {
	f.Add([]byte(goodLine + "\n" + goodLine))
	f.Add([]byte(`{"drawing":[[[1,2,3],[4,5]]]}`))
	f.Add([]byte(`{"drawing":[[[256],[0]]]}` + "\n\n"))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _ := NewStrokeReader(strings.NewReader(string(b)), "fuzz.ndjson", 0)
		img := make([]byte, Pixels)
		for {
			d, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "ndjson: fuzz.ndjson:") {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			if len(d.Strokes) == 0 {
				t.Fatal("drawing without strokes accepted")
			}
			for _, s := range d.Strokes {
				if len(s.X) != len(s.Y) || len(s.X) == 0 {
					t.Fatal("bad stroke accepted")
				}
			}
			Render(d, img)
		}
	})
}
