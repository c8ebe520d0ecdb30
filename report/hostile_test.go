package report

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// hostile is appended to every string of a report's input: markup, both
// quotes, an event handler and an ampersand.
const hostile = `"' onmouseover=alert(7) <fluens-pwn>&`

// poison appends hostile to every string reachable from v (struct fields,
// slices, map keys and values), so that names equal before stay equal.
func poison(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + hostile)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			poison(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				poison(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			poison(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(v.MapIndex(k))
			poison(val)
			m.SetMapIndex(reflect.ValueOf(k.String()+hostile).Convert(v.Type().Key()), val)
		}
		v.Set(m)
	}
}

var jsonBlock = regexp.MustCompile(`(?s)<script type="application/json"[^>]*>(.*?)</script>`)

// TestEveryStringEscaped writes a report whose every string from the data
// (labels, mixes, specs, model ids, families, layer texts, settings, data
// hashes, engine, command, warnings, measure names) carries markup and
// quotes, and checks that none of it reaches the page or the SVG figures
// unescaped.
func TestEveryStringEscaped(t *testing.T) {
	in := synthInput(12, 6, 1, 3)
	in.Run.Warnings = append(in.Run.Warnings, "a warning")
	in.Run.Command = "fluens train"
	poison(reflect.ValueOf(in))
	if !strings.HasSuffix(in.Models[0].Spec, hostile) || !strings.HasSuffix(in.Labels[0].Name, hostile) {
		t.Fatal("the input was not poisoned")
	}
	dir := filepath.Join(t.TempDir(), "report")
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	n, jsonSeen := 0, false
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".svg")) {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		// JSON data blocks: quotes are JSON's own escapes; only a "<" could
		// end the block, and none may be there.
		s = jsonBlock.ReplaceAllStringFunc(s, func(block string) string {
			body := jsonBlock.FindStringSubmatch(block)[1]
			if strings.Contains(body, "<") {
				t.Errorf("%s: a JSON data block holds a raw <", filepath.Base(p))
			}
			if strings.Contains(body, "fluens-pwn") {
				jsonSeen = true
			}
			return ""
		})
		for _, raw := range []string{"<fluens-pwn", `"' onmouseover`, `' onmouseover`} {
			if i := strings.Index(s, raw); i >= 0 {
				t.Errorf("%s holds %q unescaped: …%s…", filepath.Base(p), raw, s[max(0, i-80):min(len(s), i+40)])
			}
		}
		if !strings.Contains(s, "onmouseover=alert(7)") && filepath.Base(p) == "index.html" {
			t.Errorf("%s does not show the poisoned strings at all", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !jsonSeen {
		t.Log("no JSON data block carries the poisoned strings")
	}
	if n < 2 {
		t.Errorf("checked %d files", n)
	}
}
