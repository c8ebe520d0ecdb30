package zoo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of a hidden layer.
type Kind uint8

// The kinds of hidden layers.
const (
	Conv    Kind = iota + 1 // 2-D convolution, "same" padding, stride 1, ReLU
	Pool                    // max-pooling 2×2, stride 2
	Dropout                 // inverted dropout
	Dense                   // fully-connected with ReLU
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Conv:
		return "conv"
	case Pool:
		return "pool"
	case Dropout:
		return "dropout"
	case Dense:
		return "dense"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Input and output geometry of every model of the zoo.
const (
	InputSide = 28 // input images are InputSide×InputSide×1
	Classes   = 10 // the implied output layer has Classes units
)

// Limits on the sizes Parse accepts; they keep counts far from overflow.
const (
	MaxFilters = 4096
	MaxKernel  = 15
	MaxUnits   = 1 << 16
	MaxDepth   = 16
)

// Layer is one hidden layer. Only the fields of its Kind are used:
// Filters and Kernel for Conv, Rate for Dropout, Units for Dense.
type Layer struct {
	Kind    Kind
	Filters int     // Conv: number of output channels
	Kernel  int     // Conv: kernel side (odd)
	Rate    float64 // Dropout: fraction of units dropped, in (0, 1)
	Units   int     // Dense: number of units
}

// String returns the layer's canonical token (C32k3, P2, D0.25, F128).
func (l Layer) String() string {
	switch l.Kind {
	case Conv:
		return "C" + strconv.Itoa(l.Filters) + "k" + strconv.Itoa(l.Kernel)
	case Pool:
		return "P2"
	case Dropout:
		return "D" + strconv.FormatFloat(l.Rate, 'f', -1, 64)
	case Dense:
		return "F" + strconv.Itoa(l.Units)
	}
	return "?" + l.Kind.String()
}

// Spec is an architecture: its hidden layers in order. The input
// (28×28×1) and the output layer (dense 10 with softmax) are implied.
// An empty Spec is the perceptron.
type Spec struct {
	Layers []Layer
}

// Linear is the spelling of the perceptron, the spec without hidden layers.
const Linear = "linear"

// String returns the canonical spec string.
func (s Spec) String() string {
	if len(s.Layers) == 0 {
		return Linear
	}
	parts := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		parts[i] = l.String()
	}
	return strings.Join(parts, "-")
}

// ID returns the model's id: the first 12 hex digits of the SHA-256 of its
// canonical spec string.
func (s Spec) ID() string {
	sum := sha256.Sum256([]byte(s.String()))
	return hex.EncodeToString(sum[:6])
}

// HasConv reports whether the spec holds a convolution.
func (s Spec) HasConv() bool {
	for _, l := range s.Layers {
		if l.Kind == Conv {
			return true
		}
	}
	return false
}

// Depth returns the number of hidden layers.
func (s Spec) Depth() int { return len(s.Layers) }

// Shape is the shape of a layer's output for one image: a Height×Width×
// Channels map before the first dense layer, a vector of Channels values
// (Height = Width = 1, Flat) after it.
type Shape struct {
	Height, Width, Channels int
	Flat                    bool
}

// Size returns the number of values in the shape.
func (sh Shape) Size() int { return sh.Height * sh.Width * sh.Channels }

// LayerStat holds one layer's output shape, parameters and forward FLOPs.
type LayerStat struct {
	Layer  Layer // the zero Layer with Kind Dense and Units Classes for the output layer
	Out    Shape
	Params int
	FLOPs  int64
}

// Stats returns the statistics of every hidden layer followed by those of
// the output layer, or an error if the spec is not a valid network.
func (s Spec) Stats() ([]LayerStat, error) {
	sh := Shape{Height: InputSide, Width: InputSide, Channels: 1}
	stats := make([]LayerStat, 0, len(s.Layers)+1)
	if len(s.Layers) > MaxDepth {
		return nil, fmt.Errorf("zoo: %d hidden layers, more than %d", len(s.Layers), MaxDepth)
	}
	for i, l := range s.Layers {
		st := LayerStat{Layer: l}
		switch l.Kind {
		case Conv:
			if sh.Flat {
				return nil, fmt.Errorf("zoo: layer %d (%s): convolution after a dense layer", i+1, l)
			}
			if l.Filters < 1 || l.Filters > MaxFilters {
				return nil, fmt.Errorf("zoo: layer %d (%s): filters must be in 1..%d", i+1, l, MaxFilters)
			}
			if l.Kernel < 1 || l.Kernel > MaxKernel || l.Kernel%2 == 0 {
				return nil, fmt.Errorf("zoo: layer %d (%s): kernel must be odd, 1..%d", i+1, l, MaxKernel)
			}
			w := l.Filters * sh.Channels * l.Kernel * l.Kernel
			st.Params = w + l.Filters
			st.FLOPs = 2 * int64(w) * int64(sh.Height*sh.Width)
			sh.Channels = l.Filters
		case Pool:
			if sh.Flat {
				return nil, fmt.Errorf("zoo: layer %d (%s): pooling after a dense layer", i+1, l)
			}
			if sh.Height < 2 || sh.Width < 2 {
				return nil, fmt.Errorf("zoo: layer %d (%s): pooling a %d×%d map", i+1, l, sh.Height, sh.Width)
			}
			sh.Height /= 2
			sh.Width /= 2
		case Dropout:
			if !(l.Rate > 0 && l.Rate < 1) {
				return nil, fmt.Errorf("zoo: layer %d (%s): dropout rate must be in (0, 1)", i+1, l)
			}
		case Dense:
			if l.Units < 1 || l.Units > MaxUnits {
				return nil, fmt.Errorf("zoo: layer %d (%s): units must be in 1..%d", i+1, l, MaxUnits)
			}
			in := sh.Size()
			st.Params = l.Units * (in + 1)
			st.FLOPs = 2 * int64(in) * int64(l.Units)
			sh = Shape{Height: 1, Width: 1, Channels: l.Units, Flat: true}
		default:
			return nil, fmt.Errorf("zoo: layer %d: unknown kind %d", i+1, l.Kind)
		}
		st.Out = sh
		stats = append(stats, st)
	}
	in := sh.Size()
	stats = append(stats, LayerStat{
		Layer:  Layer{Kind: Dense, Units: Classes},
		Out:    Shape{Height: 1, Width: 1, Channels: Classes, Flat: true},
		Params: Classes * (in + 1),
		FLOPs:  2 * int64(in) * Classes,
	})
	return stats, nil
}

// Validate reports whether the spec is a network the engine can build.
func (s Spec) Validate() error {
	_, err := s.Stats()
	return err
}

// Params returns the number of trainable parameters (weights and biases),
// the output layer included. It panics if the spec is invalid.
func (s Spec) Params() int {
	var n int
	for _, st := range s.mustStats() {
		n += st.Params
	}
	return n
}

// FLOPs returns the forward floating-point operations for one image:
// 2 × the multiply-adds of every convolution and dense layer, the output
// layer included. It panics if the spec is invalid.
func (s Spec) FLOPs() int64 {
	var n int64
	for _, st := range s.mustStats() {
		n += st.FLOPs
	}
	return n
}

func (s Spec) mustStats() []LayerStat {
	st, err := s.Stats()
	if err != nil {
		panic(err)
	}
	return st
}

// Parse reads a canonical spec string and checks that it describes a valid
// network. Only canonical strings are accepted (no spaces, no leading
// zeros, the shortest rate), so Parse(s).String() == s whenever Parse
// succeeds.
func Parse(s string) (Spec, error) {
	if s == Linear {
		return Spec{}, nil
	}
	if s == "" {
		return Spec{}, errors.New(`zoo: empty spec (the perceptron is spelled "linear")`)
	}
	toks := strings.Split(s, "-")
	if len(toks) > MaxDepth {
		return Spec{}, fmt.Errorf("zoo: spec %q: %d hidden layers, more than %d", s, len(toks), MaxDepth)
	}
	spec := Spec{Layers: make([]Layer, 0, len(toks))}
	for i, t := range toks {
		l, err := parseLayer(t)
		if err != nil {
			return Spec{}, fmt.Errorf("zoo: spec %q: layer %d: %w", s, i+1, err)
		}
		spec.Layers = append(spec.Layers, l)
	}
	if err := spec.Validate(); err != nil {
		return Spec{}, fmt.Errorf("zoo: spec %q: %s", s, strings.TrimPrefix(err.Error(), "zoo: "))
	}
	return spec, nil
}

// MustParse is like Parse but panics on error; it is meant for literals.
func MustParse(s string) Spec {
	spec, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return spec
}

func parseLayer(t string) (Layer, error) {
	if t == "" {
		return Layer{}, errors.New("empty layer")
	}
	switch t[0] {
	case 'C':
		f, k, ok := strings.Cut(t[1:], "k")
		if !ok {
			return Layer{}, fmt.Errorf("%q: convolution must read C<filters>k<kernel>", t)
		}
		nf, err := parseCount(f)
		if err != nil {
			return Layer{}, fmt.Errorf("%q: filters: %w", t, err)
		}
		nk, err := parseCount(k)
		if err != nil {
			return Layer{}, fmt.Errorf("%q: kernel: %w", t, err)
		}
		return Layer{Kind: Conv, Filters: nf, Kernel: nk}, nil
	case 'P':
		if t != "P2" {
			return Layer{}, fmt.Errorf("%q: only 2×2 pooling (P2) is supported", t)
		}
		return Layer{Kind: Pool}, nil
	case 'D':
		r, err := strconv.ParseFloat(t[1:], 64)
		if err != nil || strconv.FormatFloat(r, 'f', -1, 64) != t[1:] {
			return Layer{}, fmt.Errorf("%q: dropout rate must be a canonical decimal such as 0.25", t)
		}
		return Layer{Kind: Dropout, Rate: r}, nil
	case 'F':
		n, err := parseCount(t[1:])
		if err != nil {
			return Layer{}, fmt.Errorf("%q: units: %w", t, err)
		}
		return Layer{Kind: Dense, Units: n}, nil
	}
	return Layer{}, fmt.Errorf("%q: unknown layer (want C<f>k<k>, P2, D<rate> or F<units>)", t)
}

// parseCount reads a positive decimal integer without sign or leading zeros.
func parseCount(s string) (int, error) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, fmt.Errorf("%q is not a positive integer without leading zeros", s)
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a positive integer", s)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
