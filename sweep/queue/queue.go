package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
)

// The JetStream names fluens uses. Jobs and results are keyed by the
// content-addressed job key, so several sweeps can share one server.
const (
	// JobsStream is the work-queue stream of jobs, one subject per job:
	// JobsSubject + "." + key.
	JobsStream  = "FLUENS_JOBS"
	JobsSubject = "fluens.jobs"
	// ResultsStream keeps the latest result of each job (subject
	// ResultsSubject + "." + key) and its latest failure report
	// (FailedSubject + "." + key).
	ResultsStream  = "FLUENS_RESULTS"
	ResultsSubject = "fluens.results"
	FailedSubject  = "fluens.failed"
	// Consumer is the durable pull consumer the workers share.
	Consumer = "fluens-workers"
	// FilesBucket is the object store that carries the files a result
	// names (the weights, <key>.safetensors), which may exceed a
	// message's max_payload.
	FilesBucket = "fluens-files"
)

// Defaults of StreamOptions.
const (
	DefaultAckWait    = 2 * time.Minute
	DefaultMaxDeliver = 5
)

// StreamOptions set how jobs are redelivered.
type StreamOptions struct {
	// AckWait is how long a job may go without a word from its worker
	// (an in-progress ack or the final ack) before it is delivered to
	// another worker. Workers send an in-progress ack after every epoch
	// and every AckWait/4, so a live worker keeps its job however long
	// it trains, and a killed one loses it after AckWait.
	AckWait time.Duration
	// MaxDeliver is how many times a job is delivered before it is given
	// up.
	MaxDeliver int
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	return o
}

func jobsConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        JobsStream,
		Description: "fluens training jobs (one per subject; removed when acked)",
		Subjects:    []string{JobsSubject + ".>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		// One message per job: publishing a job that is still queued
		// fails, so a second submit does not queue it twice.
		MaxMsgsPerSubject:    1,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
	}
}

func resultsConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              ResultsStream,
		Description:       "fluens results (the latest result and failure of each job)",
		Subjects:          []string{ResultsSubject + ".>", FailedSubject + ".>"},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		MaxMsgsPerSubject: 1,
		Duplicates:        10 * time.Minute,
	}
}

func filesConfig() jetstream.ObjectStoreConfig {
	return jetstream.ObjectStoreConfig{
		Bucket:      FilesBucket,
		Description: "fluens weights files, by name <key>.safetensors",
		Storage:     jetstream.FileStorage,
	}
}

func consumerConfig(o StreamOptions) jetstream.ConsumerConfig {
	o = o.withDefaults()
	return jetstream.ConsumerConfig{
		Durable:       Consumer,
		Description:   "fluens workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    o.MaxDeliver,
		FilterSubject: JobsSubject + ".>",
		MaxAckPending: -1,
	}
}

// Setup creates the streams and the workers' consumer, or updates the
// consumer's AckWait and MaxDeliver to o.
func Setup(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	for _, cfg := range []jetstream.StreamConfig{jobsConfig(), resultsConfig()} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, filesConfig()); err != nil {
		return fmt.Errorf("queue: object store %s: %w", FilesBucket, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, JobsStream, consumerConfig(o)); err != nil {
		return fmt.Errorf("queue: consumer %s: %w", Consumer, err)
	}
	return nil
}

// files opens the files bucket, creating it where it does not exist.
func files(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, FilesBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, filesConfig())
		if errors.Is(err, jetstream.ErrBucketExists) {
			obs, err = js.ObjectStore(ctx, FilesBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("queue: object store %s: %w", FilesBucket, err)
	}
	return obs, nil
}

// ensure creates the streams and consumer with default options where they
// do not exist yet, and leaves existing ones as they are.
func ensure(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	for _, cfg := range []jetstream.StreamConfig{jobsConfig(), resultsConfig()} {
		if _, err := js.Stream(ctx, cfg.Name); err == nil {
			continue
		} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
		}
		if _, err := js.CreateStream(ctx, cfg); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
		}
	}
	c, err := js.Consumer(ctx, JobsStream, Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = js.CreateConsumer(ctx, JobsStream, consumerConfig(StreamOptions{}))
		if errors.Is(err, jetstream.ErrConsumerExists) {
			c, err = js.Consumer(ctx, JobsStream, Consumer)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", Consumer, err)
	}
	return c, nil
}

// JobMsg is the body of a job message: everything a worker needs to
// rebuild the job and check that it trains the same thing.
type JobMsg struct {
	Key   string `json:"key"`
	Index int    `json:"index"`
	// Spec and Family name the model (zoo spec string).
	Spec   string `json:"spec"`
	Family string `json:"family"`
	// Mix is the mix's folder name, DataHash its content hash, and Data
	// the prepared data folder as the submitter saw it (a worker may use
	// its own copy instead: --data).
	Mix      string      `json:"mix"`
	DataHash string      `json:"data_hash"`
	Data     string      `json:"data"`
	Seed     int64       `json:"seed"`
	Hyper    sweep.Hyper `json:"hyper"`
	// Engine is the submitter's sweep.EngineVersion; a worker with
	// another engine would compute another key and refuses the job.
	Engine      string `json:"engine"`
	SaveWeights bool   `json:"save_weights,omitempty"`
}

// ResultMsg is the body of a result message: the job's record as the
// store holds it, and the names of the files it names (the weights),
// which travel in the object store FilesBucket.
type ResultMsg struct {
	Key    string          `json:"key"`
	Record json.RawMessage `json:"record"`
	Files  []string        `json:"files,omitempty"`
	Worker string          `json:"worker"`
}

// FailureMsg reports a job that failed on a worker. Final is set when the
// job will not be delivered again.
type FailureMsg struct {
	Key     string `json:"key"`
	Index   int    `json:"index"`
	Error   string `json:"error"`
	Worker  string `json:"worker"`
	Attempt int    `json:"attempt"`
	Final   bool   `json:"final"`
}

// Bounds on the messages decoded from the wire. A job message is a few
// hundred bytes and a failure report a few kilobytes (the worker cuts the
// error text to maxFailureText); anything larger is refused before it is
// parsed, so a hostile message costs no more than its bytes.
const (
	MaxJobMsgSize     = 64 << 10
	MaxFailureMsgSize = 256 << 10
	maxFailureText    = 16 << 10
)

// newJobMsg is the job message of j, as Submit publishes it.
func newJobMsg(j sweep.Job, data string, saveWeights bool) JobMsg {
	return JobMsg{
		Key: j.Key, Index: j.Index, Spec: j.Model.Spec.String(), Family: string(j.Model.Family),
		Mix: j.Mix.Name, DataHash: j.Mix.Hash, Data: data, Seed: j.Seed, Hyper: j.Hyper,
		Engine: sweep.EngineVersion, SaveWeights: saveWeights,
	}
}

// decodeJob decodes the body of a job message received on subject and
// checks what a worker relies on before it trains: the key is a job key
// and the subject's, and the job names a model, a mix and an engine. The
// spec, the data and the hyperparameters are checked when the job is
// rebuilt (Worker.train), where a bad one becomes a failure report.
func decodeJob(subject string, body []byte) (JobMsg, error) {
	var jm JobMsg
	if len(body) > MaxJobMsgSize {
		return jm, fmt.Errorf("job message on %.100s: %d bytes, more than a job message may hold (%d)", subject, len(body), MaxJobMsgSize)
	}
	if err := json.Unmarshal(body, &jm); err != nil {
		return jm, fmt.Errorf("damaged job message on %.100s: %w", subject, err)
	}
	switch {
	case !validKey(jm.Key):
		return jm, fmt.Errorf("job message on %.100s: key %.80q is not a job key", subject, jm.Key)
	case subject != jobSubject(jm.Key):
		return jm, fmt.Errorf("job message on %.100s carries the key %.12s…", subject, jm.Key)
	case jm.Index < 0:
		return jm, fmt.Errorf("job message on %.100s: negative job index %d", subject, jm.Index)
	case jm.Spec == "":
		return jm, fmt.Errorf("job message on %.100s names no model spec", subject)
	case jm.Mix == "":
		return jm, fmt.Errorf("job message on %.100s names no mix", subject)
	case jm.Engine == "":
		return jm, fmt.Errorf("job message on %.100s names no engine version", subject)
	}
	return jm, nil
}

// decodeFailure decodes the body of a failure report received on subject
// and checks that it reports the subject's job.
func decodeFailure(subject string, body []byte) (FailureMsg, error) {
	var f FailureMsg
	if len(body) > MaxFailureMsgSize {
		return f, fmt.Errorf("failure report on %.100s: %d bytes, more than a failure report may hold (%d)", subject, len(body), MaxFailureMsgSize)
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return f, fmt.Errorf("damaged failure report on %.100s: %w", subject, err)
	}
	switch {
	case !validKey(f.Key):
		return f, fmt.Errorf("failure report on %.100s: key %.80q is not a job key", subject, f.Key)
	case subject != failureSubject(f.Key):
		return f, fmt.Errorf("failure report on %.100s carries the key %.12s…", subject, f.Key)
	case f.Index < 0:
		return f, fmt.Errorf("failure report on %.100s: negative job index %d", subject, f.Index)
	case f.Attempt < 1:
		return f, fmt.Errorf("failure report on %.100s: attempt %d (attempts count from 1)", subject, f.Attempt)
	}
	return f, nil
}

// cutText returns s cut to at most n bytes, on a rune boundary, with "…"
// marking a cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func jobSubject(key string) string     { return JobsSubject + "." + key }
func resultSubject(key string) string  { return ResultsSubject + "." + key }
func failureSubject(key string) string { return FailedSubject + "." + key }

// validKey reports whether s is a job key (64 lowercase hex digits), and
// so safe as a subject token and a file name.
func validKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
