package queue

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// realJobs are jobs as fluens train lists them: the perceptron and two
// CNNs of the zoo on two mixes, two seeds (the hashes stand for the data's
// content hashes; no data is read).
func realJobs() []sweep.Job {
	models := []zoo.Model{
		{Family: zoo.MLP, Spec: zoo.Spec{}},
		{Family: zoo.CNN, Spec: zoo.MustParse("C8k5")},
		{Family: zoo.CNN, Spec: zoo.MustParse("P2-D0.1")},
	}
	mixes := []sweep.Mix{
		{Name: "conv_div_mix_00", Hash: strings.Repeat("0a", 32)},
		{Name: "conv_div_mix_10", Hash: strings.Repeat("b1", 32)},
	}
	return sweep.Jobs(models, mixes, []int64{1, 2}, sweep.Hyper{Epochs: 2, Batch: 64, LR: 0.001})
}

// realJobMessages are the bodies Submit publishes for realJobs, with their
// subjects.
func realJobMessages(t testing.TB) (subjects []string, bodies [][]byte) {
	for i, j := range realJobs() {
		b, err := json.Marshal(newJobMsg(j, "/data/prep", i%2 == 0))
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, jobSubject(j.Key))
		bodies = append(bodies, b)
	}
	return subjects, bodies
}

func TestDecodeJob(t *testing.T) {
	subjects, bodies := realJobMessages(t)
	for i := range bodies {
		jm, err := decodeJob(subjects[i], bodies[i])
		if err != nil {
			t.Fatalf("a message of Submit: %v", err)
		}
		if want := newJobMsg(realJobs()[i], "/data/prep", i%2 == 0); !reflect.DeepEqual(jm, want) {
			t.Fatalf("decoded %+v, want %+v", jm, want)
		}
	}
	key := realJobs()[0].Key
	good := newJobMsg(realJobs()[0], "/data/prep", false)
	with := func(change func(m *JobMsg)) []byte {
		m := good
		change(&m)
		b, _ := json.Marshal(m)
		return b
	}
	checkRejects(t, func(subject string, body []byte) error { _, err := decodeJob(subject, body); return err }, []rejectCase{
		{"not JSON", jobSubject(key), []byte(`{"key":`), "damaged job message"},
		{"trailing data", jobSubject(key), append(with(func(*JobMsg) {}), '{'), "damaged job message"},
		{"wrong type", jobSubject(key), []byte(`{"key":"` + key + `","index":"one"}`), "damaged job message"},
		{"index overflows", jobSubject(key), []byte(`{"key":"` + key + `","index":1e40}`), "damaged job message"},
		{"short key", jobSubject("abc"), with(func(m *JobMsg) { m.Key = "abc" }), `key "abc" is not a job key`},
		{"climbing key", jobSubject(key), with(func(m *JobMsg) { m.Key = "../../" + key[6:] }), "is not a job key"},
		{"upper-case key", jobSubject(key), with(func(m *JobMsg) { m.Key = strings.ToUpper(key) }), "is not a job key"},
		{"another job's subject", jobSubject(realJobs()[1].Key), with(func(*JobMsg) {}), "carries the key " + key[:12]},
		{"results subject", resultSubject(key), with(func(*JobMsg) {}), "carries the key"},
		{"negative index", jobSubject(key), with(func(m *JobMsg) { m.Index = -1 }), "negative job index -1"},
		{"no spec", jobSubject(key), with(func(m *JobMsg) { m.Spec = "" }), "names no model spec"},
		{"no mix", jobSubject(key), with(func(m *JobMsg) { m.Mix = "" }), "names no mix"},
		{"no engine", jobSubject(key), with(func(m *JobMsg) { m.Engine = "" }), "names no engine"},
		{"oversized", jobSubject(key), with(func(m *JobMsg) { m.Data = strings.Repeat("x", MaxJobMsgSize) }), "more than a job message may hold"},
	})
}

// rejectCase is a message that a decoder must refuse with an error that
// names the subject and contains err.
type rejectCase struct {
	name, subject string
	body          []byte
	err           string
}

func checkRejects(t *testing.T, decode func(subject string, body []byte) error, cases []rejectCase) {
	t.Helper()
	for _, tc := range cases {
		err := decode(tc.subject, tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.subject) {
			t.Errorf("%s: %v, want an error naming %s and %q", tc.name, err, tc.subject, tc.err)
		}
	}
}

func TestDecodeFailure(t *testing.T) {
	key := realJobs()[0].Key
	good := FailureMsg{Key: key, Index: 3, Error: "queue: /data has no mix conv_div_mix_00", Worker: "node7/123", Attempt: 2, Final: true}
	b, _ := json.Marshal(good)
	if f, err := decodeFailure(failureSubject(key), b); err != nil || f != good {
		t.Fatalf("decoded %+v, %v", f, err)
	}
	with := func(change func(f *FailureMsg)) []byte {
		f := good
		change(&f)
		b, _ := json.Marshal(f)
		return b
	}
	checkRejects(t, func(subject string, body []byte) error { _, err := decodeFailure(subject, body); return err }, []rejectCase{
		{"not JSON", failureSubject(key), []byte(`[`), "damaged failure report"},
		{"bad key", failureSubject("x"), with(func(f *FailureMsg) { f.Key = "x" }), `key "x" is not a job key`},
		{"another job's subject", failureSubject(realJobs()[1].Key), with(func(*FailureMsg) {}), "carries the key " + key[:12]},
		{"job subject", jobSubject(key), with(func(*FailureMsg) {}), "carries the key"},
		{"negative index", failureSubject(key), with(func(f *FailureMsg) { f.Index = -3 }), "negative job index -3"},
		{"attempt 0", failureSubject(key), with(func(f *FailureMsg) { f.Attempt = 0 }), "attempt 0"},
		{"oversized", failureSubject(key), with(func(f *FailureMsg) { f.Error = strings.Repeat("e", MaxFailureMsgSize) }), "more than a failure report may hold"},
	})
	// The longest report a worker sends decodes: the error text is cut,
	// and the worst case of JSON escaping (a control character takes six
	// bytes) still fits.
	long := cutText(strings.Repeat("\x01é", maxFailureText), maxFailureText)
	if len(long) > maxFailureText+len("…") {
		t.Fatalf("cutText left %d bytes", len(long))
	}
	body := with(func(f *FailureMsg) { f.Error = long; f.Worker = strings.Repeat("w", 1024) })
	f, err := decodeFailure(failureSubject(key), body)
	if err != nil {
		t.Fatalf("a worker's longest report (%d bytes): %v", len(body), err)
	}
	if !strings.HasSuffix(f.Error, "…") || strings.ContainsRune(f.Error, '\uFFFD') {
		t.Errorf("the cut error text ends %q", f.Error[len(f.Error)-8:])
	}
}

// TestDecodeOversizedAllocatesLittle checks that a message far over the
// bound is refused without being parsed: refusing a 16 MiB body whose
// fields would decode into 16 MiB of strings allocates almost nothing.
func TestDecodeOversizedAllocatesLittle(t *testing.T) {
	key := realJobs()[0].Key
	big := `"` + strings.Repeat("A", 16<<20) + `"`
	job := []byte(`{"key":"` + key + `","spec":` + big + `,"mix":` + big + `}`)
	fail := []byte(`{"key":"` + key + `","error":` + big + `,"worker":` + big + `}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, jerr := decodeJob(jobSubject(key), job)
	_, ferr := decodeFailure(failureSubject(key), fail)
	runtime.ReadMemStats(&after)
	if jerr == nil || ferr == nil {
		t.Fatalf("oversized messages accepted: %v, %v", jerr, ferr)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("refusing two 32 MiB messages allocated %d bytes", n)
	}
}

// FuzzDecodeJob feeds arbitrary subjects and bodies to the workers' job
// decoder. It must never panic; what it refuses it refuses with an error
// naming the subject; what it accepts carries a job key, came on that
// key's subject, and survives an encode and a second decode unchanged.
func FuzzDecodeJob(f *testing.F) {
	subjects, bodies := realJobMessages(f)
	for i := range bodies {
		f.Add(subjects[i], bodies[i])
	}
	key := realJobs()[0].Key
	f.Add(jobSubject(key), []byte(`{"key":"`+key+`","index":0,"spec":"linear","mix":"m","engine":"e","hyper":{"epochs":1e300}}`))
	f.Add(jobSubject(key), []byte(`{"key":"`+key+`","key":"`+strings.Repeat("0", 64)+`"}`))
	f.Add(jobSubject(key), []byte(`{"KEY":"`+key+`","Index":-0,"spec":"\u0000","mix":"\ud800","engine":"x","evil":[[[[[]]]]]}`))
	f.Add(resultSubject(key), bodies[0])
	f.Add("", []byte(``))
	f.Add(jobSubject(key), []byte(`null`))
	f.Fuzz(func(t *testing.T, subject string, body []byte) {
		jm, err := decodeJob(subject, body)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%.100s", subject)) {
				t.Fatalf("the error does not name the subject %q: %v", subject, err)
			}
			if len(body) > MaxJobMsgSize && !strings.Contains(err.Error(), "may hold") {
				t.Fatalf("an oversized message refused for another reason: %v", err)
			}
			return
		}
		if len(body) > MaxJobMsgSize {
			t.Fatalf("accepted %d bytes", len(body))
		}
		if !validKey(jm.Key) || subject != jobSubject(jm.Key) || jm.Index < 0 || jm.Spec == "" || jm.Mix == "" || jm.Engine == "" {
			t.Fatalf("accepted %+v on %q", jm, subject)
		}
		again, err := json.Marshal(jm)
		if err != nil {
			t.Fatalf("an accepted job does not encode: %v", err)
		}
		jm2, err := decodeJob(subject, again)
		if err != nil {
			t.Fatalf("an accepted job, encoded again, is refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(jm, jm2) {
			t.Fatalf("the job changed on a round trip:\n%+v\n%+v", jm, jm2)
		}
	})
}

// FuzzDecodeFailure does the same for the failure reports that Collect
// and StatusOf read.
func FuzzDecodeFailure(f *testing.F) {
	for i, j := range realJobs() {
		b, _ := json.Marshal(FailureMsg{Key: j.Key, Index: j.Index, Error: "queue: job " + fmt.Sprint(i) + ": sweep: learning rate must be in (0, 10]",
			Worker: "node3/4711", Attempt: i%5 + 1, Final: i%2 == 1})
		f.Add(failureSubject(j.Key), b)
	}
	key := realJobs()[0].Key
	f.Add(failureSubject(key), []byte(`{"key":"`+key+`","index":0,"attempt":1,"error":"\ud83d","final":true,"final":false}`))
	f.Add(resultSubject(key), []byte(`{"key":"`+key+`","attempt":1}`))
	f.Add("", []byte(`{}`))
	f.Fuzz(func(t *testing.T, subject string, body []byte) {
		fm, err := decodeFailure(subject, body)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%.100s", subject)) {
				t.Fatalf("the error does not name the subject %q: %v", subject, err)
			}
			return
		}
		if len(body) > MaxFailureMsgSize || !validKey(fm.Key) || subject != failureSubject(fm.Key) || fm.Index < 0 || fm.Attempt < 1 {
			t.Fatalf("accepted %+v on %q (%d bytes)", fm, subject, len(body))
		}
		again, err := json.Marshal(fm)
		if err != nil {
			t.Fatalf("an accepted report does not encode: %v", err)
		}
		fm2, err := decodeFailure(subject, again)
		if err != nil || fm2 != fm {
			t.Fatalf("the report changed on a round trip: %+v, %v\n%+v", fm2, err, fm)
		}
	})
}
