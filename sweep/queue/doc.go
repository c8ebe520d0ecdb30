// Package queue runs a sweep's jobs on any number of machines through a
// NATS JetStream work queue.
//
// Submit publishes every job without a record in the result store to the
// work-queue stream FLUENS_JOBS, one subject per job key
// (fluens.jobs.<key>, at most one message each: a job still queued is not
// queued twice), and writes a manifest of the sweep's keys into the store.
// Workers (Worker.Run) share the durable pull consumer fluens-workers: each
// pulls a job, rebuilds it from its spec, mix, seed and hyperparameters,
// checks that the mix's content hash and the job key match the submitter's,
// trains it with the local runner (sweep.Runner) into a scratch store, puts
// the weights it keeps into the object store fluens-files, and publishes the
// record to the stream FLUENS_RESULTS (fluens.results.<key>). The job is acknowledged only after
// the results stream has stored the result; meanwhile the worker sends an
// in-progress acknowledgement after every epoch and every quarter of
// AckWait, so a killed worker's job is delivered to another after AckWait,
// up to MaxDeliver times. The final failure of a job is published to
// fluens.failed.<key>. Collect reads the latest result of each job of the
// store's manifests and writes it into the store atomically, ignoring
// results whose record is already there: a job trained twice is stored
// once, and collecting again is harmless. A waiting Collect gives up after
// CollectOptions.IdleTimeout without news with an *IdleError naming the
// jobs still missing. Job messages and failure reports are size-bounded
// and checked (key, subject) before they are used.
//
// Serve runs an embedded NATS server with JetStream for a group that has
// none. A server listening beyond loopback refuses to start without a token
// or a user and password, and Connect refuses to reach a server beyond
// loopback without credentials; TLS is used when the server is given a
// certificate and key.
//
// The NATS server and client are the project's own: nats-server/v2 and
// nats.go with its jetstream package. References: the JetStream model
// (https://docs.nats.io/nats-concepts/jetstream: streams, work-queue
// retention, per-subject limits with DiscardNewPerSubject) and its
// consumers (https://docs.nats.io/nats-concepts/jetstream/consumers:
// explicit acks, AckWait, MaxDeliver, in-progress acks, double acks).
package queue
