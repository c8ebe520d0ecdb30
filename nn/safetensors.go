package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Tensor is a named array of float32 in row-major (C) order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Tensors returns a copy of every parameter, by name: for hidden layer i
// "layer<i>.weight" and "layer<i>.bias", and "output.weight" and
// "output.bias" for the output layer. A dense weight has shape [in, out]
// (y = x·W + b; in follows the NHWC flattening of the previous layer), a
// convolution's [k, k, in channels, filters] (HWIO); biases have one
// value per output. The perceptron's "output.weight" is [784, classes]:
// column j, read as 28×28, is class j's template.
func (m *Model) Tensors() map[string]Tensor {
	out := make(map[string]Tensor)
	for _, t := range m.tensorList() {
		out[t.name] = Tensor{Shape: slices.Clone(t.shape), Data: slices.Clone(t.data)}
	}
	return out
}

type boundTensor struct {
	name  string
	shape []int
	data  []float32 // aliases the model's parameters
}

// tensorList lists the parameters in storage order.
func (m *Model) tensorList() []boundTensor {
	var out []boundTensor
	off := 0
	for i, l := range m.layers {
		for _, ti := range l.tensors(m.names[i]) {
			n := prod(ti.shape)
			out = append(out, boundTensor{ti.name, ti.shape, m.params[off : off+n]})
			off += n
		}
	}
	return out
}

// SetTensors replaces the model's parameters by ts, which must hold
// exactly the model's tensors (see Tensors) with the same shapes. Adam's
// state is reset.
func (m *Model) SetTensors(ts map[string]Tensor) error {
	list := m.tensorList()
	for _, t := range list {
		v, ok := ts[t.name]
		if !ok {
			return fmt.Errorf("nn: tensor %q missing", t.name)
		}
		if !slices.Equal(v.Shape, t.shape) {
			return fmt.Errorf("nn: tensor %q has shape %v, model needs %v", t.name, v.Shape, t.shape)
		}
		if len(v.Data) != len(t.data) {
			return fmt.Errorf("nn: tensor %q holds %d values, shape %v needs %d", t.name, len(v.Data), v.Shape, len(t.data))
		}
	}
	if len(ts) != len(list) {
		for name := range ts {
			if !slices.ContainsFunc(list, func(t boundTensor) bool { return t.name == name }) {
				return fmt.Errorf("nn: tensor %q is not a parameter of this model", name)
			}
		}
	}
	for _, t := range list {
		copy(t.data, ts[t.name].Data)
	}
	clear(m.m1)
	clear(m.m2)
	m.step = 0
	return nil
}

// Metadata keys written by WriteSafetensors.
const (
	metaFormat  = "format"
	metaLayers  = "fluens.layers"
	metaInput   = "fluens.input"
	metaClasses = "fluens.classes"
)

func (m *Model) metadata() map[string]string {
	specs, _ := json.Marshal(m.specsJSON())
	return map[string]string{
		metaFormat:  "pt",
		metaLayers:  string(specs),
		metaInput:   fmt.Sprintf("%d,%d,%d", m.cfg.InputH, m.cfg.InputW, m.cfg.InputC),
		metaClasses: strconv.Itoa(m.cfg.Classes),
	}
}

type specJSON struct {
	Kind    string  `json:"kind"`
	Units   int     `json:"units,omitempty"`
	Filters int     `json:"filters,omitempty"`
	Kernel  int     `json:"kernel,omitempty"`
	Rate    float64 `json:"rate,omitempty"`
}

func (m *Model) specsJSON() []specJSON {
	out := make([]specJSON, len(m.specs))
	for i, s := range m.specs {
		out[i] = specJSON{s.Kind.String(), s.Units, s.Filters, s.Kernel, s.Rate}
	}
	return out
}

// WriteSafetensors writes the model's parameters in the safetensors format,
// with the layer list, input shape and classes in the metadata.
func (m *Model) WriteSafetensors(w io.Writer) error {
	list := m.tensorList()
	names := make([]string, len(list))
	ts := make(map[string]Tensor, len(list))
	for i, t := range list {
		names[i] = t.name
		ts[t.name] = Tensor{Shape: t.shape, Data: t.data}
	}
	return WriteSafetensors(w, names, ts, m.metadata())
}

// SaveSafetensors writes the model's parameters to path atomically (a
// temporary file in the same folder, then a rename).
func (m *Model) SaveSafetensors(path string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = m.WriteSafetensors(f); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	return nil
}

// LoadSafetensors replaces the model's parameters by those in the
// safetensors file at path, which must match the model's tensors.
func (m *Model) LoadSafetensors(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
	ts, _, err := ReadSafetensors(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("nn: load %s: %w", path, err)
	}
	if err := m.SetTensors(ts); err != nil {
		return fmt.Errorf("nn: load %s: %w", path, err)
	}
	return nil
}

// NewFromSafetensors builds a model from a stream written by
// WriteSafetensors: the layers and shapes come from its metadata and the
// weights from its tensors.
func NewFromSafetensors(r io.Reader, threads int) (*Model, error) {
	ts, meta, err := ReadSafetensors(r)
	if err != nil {
		return nil, err
	}
	var sj []specJSON
	if err := json.Unmarshal([]byte(meta[metaLayers]), &sj); err != nil {
		return nil, fmt.Errorf("nn: safetensors metadata %q: %w", metaLayers, err)
	}
	specs := make([]LayerSpec, len(sj))
	for i, s := range sj {
		k := slices.IndexFunc([]LayerKind{Dense, Conv, MaxPool, Dropout}, func(k LayerKind) bool { return k.String() == s.Kind })
		if k < 0 {
			return nil, fmt.Errorf("nn: safetensors metadata: layer %d: unknown kind %q", i, s.Kind)
		}
		specs[i] = LayerSpec{LayerKind(k), s.Units, s.Filters, s.Kernel, s.Rate}
	}
	cfg := Config{Threads: threads}
	if _, err := fmt.Sscanf(meta[metaInput], "%d,%d,%d", &cfg.InputH, &cfg.InputW, &cfg.InputC); err != nil {
		return nil, fmt.Errorf("nn: safetensors metadata %q=%q: %w", metaInput, meta[metaInput], err)
	}
	if cfg.Classes, err = strconv.Atoi(meta[metaClasses]); err != nil {
		return nil, fmt.Errorf("nn: safetensors metadata %q: %w", metaClasses, err)
	}
	if cfg.InputH <= 0 || cfg.InputW <= 0 || cfg.InputC <= 0 || cfg.Classes <= 0 {
		return nil, fmt.Errorf("nn: safetensors metadata: bad input %q or classes %q", meta[metaInput], meta[metaClasses])
	}
	if err := checkClaims(specs, cfg, ts); err != nil {
		return nil, err
	}
	m, err := New(specs, cfg)
	if err != nil {
		return nil, err
	}
	if err := m.SetTensors(ts); err != nil {
		return nil, err
	}
	return m, nil
}

// maxActivation bounds the values of one sample's activation in a model
// read from a file (28×28×4096 is far above any zoo model).
const maxActivation = 1 << 22

// checkClaims refuses metadata that describes a model other than the
// tensors carry, before New allocates it: a small hostile file must not
// make the reader allocate in proportion to what its metadata claims.
// The parameter count must equal the number of values the tensors hold,
// and no activation may exceed maxActivation values.
func checkClaims(specs []LayerSpec, cfg Config, ts map[string]Tensor) error {
	if err := Validate(specs, cfg.InputH, cfg.InputW, cfg.InputC); err != nil {
		return err
	}
	have := 0
	for _, t := range ts {
		have += len(t.Data)
	}
	// mul returns a×b, or -1 when it exceeds limit (or a or b is -1).
	mul := func(a, b, limit int) int {
		if a < 0 || b < 0 || (b != 0 && a > limit/b) {
			return -1
		}
		return a * b
	}
	tooBig := fmt.Errorf("nn: safetensors metadata describes a model larger than its %d values (input %d×%d×%d)", have, cfg.InputH, cfg.InputW, cfg.InputC)
	h, w, c := cfg.InputH, cfg.InputW, cfg.InputC
	size := mul(mul(h, w, maxActivation), c, maxActivation)
	params := 0
	add := func(p int) bool {
		if p < 0 || p > have-params {
			return false
		}
		params += p
		return true
	}
	for _, s := range append(specs, LayerSpec{Kind: Dense, Units: cfg.Classes}) {
		if size < 0 {
			return tooBig
		}
		switch s.Kind {
		case Dense:
			if !add(mul(size+1, s.Units, have)) {
				return tooBig
			}
			size, h, w, c = s.Units, 1, 1, s.Units
			if size > maxActivation {
				return tooBig
			}
		case Conv:
			kk := mul(mul(s.Kernel, s.Kernel, have), c, have)
			if kk < 0 || !add(mul(kk+1, s.Filters, have)) {
				return tooBig
			}
			c = s.Filters
			size = mul(mul(h, w, maxActivation), c, maxActivation)
		case MaxPool:
			h, w = h/2, w/2
			size = mul(mul(h, w, maxActivation), c, maxActivation)
		}
	}
	if params != have {
		return fmt.Errorf("nn: safetensors metadata describes %d parameters but the tensors hold %d values", params, have)
	}
	return nil
}

// The safetensors format (github.com/huggingface/safetensors, README,
// "Format"): an unsigned little-endian 64-bit header length N; N bytes of
// UTF-8 JSON, an object mapping each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]} (offsets relative to the byte buffer after
// the header) and an optional "__metadata__" map of strings to strings,
// padded with spaces; then the byte buffer, little-endian, row-major,
// entirely indexed without holes. Only dtype F32 is used here.

// MaxHeader is the largest safetensors header accepted (the reference
// implementation's limit).
const MaxHeader = 100_000_000

// maxTensorBytes bounds one tensor (1 GiB) so that a header cannot make
// the reader allocate without bound; data is read in chunks, so a short
// stream fails before much is allocated anyway.
const maxTensorBytes = 1 << 30

type stEntry struct {
	Dtype       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets []int  `json:"data_offsets"`
}

// WriteSafetensors writes the tensors named in names (in that order in the
// byte buffer) with the given metadata (may be nil).
func WriteSafetensors(w io.Writer, names []string, ts map[string]Tensor, meta map[string]string) error {
	header := make(map[string]any, len(names)+1)
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, name := range names {
		t, ok := ts[name]
		if !ok {
			return fmt.Errorf("safetensors: tensor %q not given", name)
		}
		if name == "__metadata__" {
			return errors.New("safetensors: a tensor may not be named __metadata__")
		}
		if _, dup := header[name]; dup {
			return fmt.Errorf("safetensors: tensor %q named twice", name)
		}
		if prod(t.Shape) != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q: shape %v for %d values", name, t.Shape, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = stEntry{"F32", shape, []int{off, off + 4*len(t.Data)}}
		off += 4 * len(t.Data)
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if pad := (8 - len(hj)%8) % 8; pad > 0 {
		hj = append(hj, bytes.Repeat([]byte{' '}, pad)...)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hj)))
	bw.Write(n[:])
	bw.Write(hj)
	var b [4]byte
	for _, name := range names {
		for _, v := range ts[name].Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// ReadSafetensors reads a whole safetensors stream of F32 tensors and
// returns them by name with the metadata. It checks that the header is a
// JSON object with no duplicate or unknown keys, every dtype is F32, every
// shape matches its byte range, the ranges tile the byte buffer from 0
// without holes or overlaps, and the stream ends with the last tensor.
func ReadSafetensors(r io.Reader) (map[string]Tensor, map[string]string, error) {
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header length: %w", noEOF(err))
	}
	hn := binary.LittleEndian.Uint64(nb[:])
	if hn < 2 || hn > MaxHeader {
		return nil, nil, fmt.Errorf("safetensors: header length %d out of range 2..%d", hn, MaxHeader)
	}
	hj, err := readChunked(r, int(hn))
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: header of %d bytes: %w", hn, noEOF(err))
	}
	entries, names, meta, err := parseHeader(hj)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	sort.SliceStable(names, func(i, j int) bool {
		return entries[names[i]].DataOffsets[0] < entries[names[j]].DataOffsets[0]
	})
	end := 0
	for _, name := range names {
		e := entries[name]
		b, f := e.DataOffsets[0], e.DataOffsets[1]
		if b != end {
			if b < end {
				return nil, nil, fmt.Errorf("safetensors: tensor %q at bytes %d..%d overlaps the previous one (ends at %d)", name, b, f, end)
			}
			return nil, nil, fmt.Errorf("safetensors: hole in the byte buffer at %d..%d before tensor %q", end, b, name)
		}
		end = f
	}
	ts := make(map[string]Tensor, len(names))
	for _, name := range names {
		e := entries[name]
		raw, err := readChunked(r, e.DataOffsets[1]-e.DataOffsets[0])
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, noEOF(err))
		}
		data := make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		ts[name] = Tensor{Shape: e.Shape, Data: data}
	}
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n != 0 {
		return nil, nil, fmt.Errorf("safetensors: data past the last tensor (byte %d)", end)
	}
	return ts, meta, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readChunked reads exactly n bytes, growing its buffer as data arrives so
// that a lying length fails at the end of the stream rather than in make.
func readChunked(r io.Reader, n int) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, 0, min(n, chunk))
	for len(buf) < n {
		k := min(n-len(buf), chunk)
		buf = slices.Grow(buf, k)
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// parseHeader decodes the header object key by key so that duplicate keys
// are caught (encoding/json keeps the last silently).
func parseHeader(hj []byte) (map[string]stEntry, []string, map[string]string, error) {
	trimmed := bytes.TrimRight(hj, " ")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, nil, errors.New("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, err
	}
	entries := make(map[string]stEntry)
	var names []string
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, nil, fmt.Errorf("unexpected %v", tok)
		}
		if key == "__metadata__" {
			if seenMeta {
				return nil, nil, nil, errors.New("__metadata__ given twice")
			}
			seenMeta = true
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, nil, fmt.Errorf("__metadata__: %w", err)
			}
			continue
		}
		if _, dup := entries[key]; dup {
			return nil, nil, nil, fmt.Errorf("tensor %q given twice", key)
		}
		var e stEntry
		if err := dec.Decode(&e); err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		if err := e.check(); err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		entries[key] = e
		names = append(names, key)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, err
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(strings.TrimSpace(string(rest))) > 0 {
		return nil, nil, nil, errors.New("data after the header object")
	}
	if dec.InputOffset() != int64(len(trimmed)) {
		return nil, nil, nil, errors.New("data after the header object")
	}
	return entries, names, meta, nil
}

func (e stEntry) check() error {
	if e.Dtype != "F32" {
		return fmt.Errorf("dtype %q, want F32", e.Dtype)
	}
	if e.Shape == nil {
		return errors.New("no shape")
	}
	if len(e.DataOffsets) != 2 {
		return fmt.Errorf("data_offsets %v: want [begin, end]", e.DataOffsets)
	}
	b, f := e.DataOffsets[0], e.DataOffsets[1]
	if b < 0 || f < b {
		return fmt.Errorf("data_offsets [%d, %d] out of order", b, f)
	}
	n := 1
	for _, d := range e.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", e.Shape)
		}
		if d > 0 && n > maxTensorBytes/4/d {
			return fmt.Errorf("shape %v larger than %d bytes", e.Shape, maxTensorBytes)
		}
		n *= d
	}
	if f-b != 4*n {
		return fmt.Errorf("data_offsets [%d, %d] hold %d bytes, shape %v of F32 needs %d", b, f, f-b, e.Shape, 4*n)
	}
	return nil
}
