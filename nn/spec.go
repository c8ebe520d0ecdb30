package nn

import (
	"errors"
	"fmt"
	"strconv"
)

// LayerKind names the kind of one hidden layer.
type LayerKind int

// The hidden layer kinds. ReLU is implied after every hidden Dense and Conv
// layer, a flatten is implied before the first Dense layer, and the output
// layer (Dense with Config.Classes units and softmax cross-entropy) is
// implied after the last hidden layer: it is never part of the list.
const (
	// Dense is a fully connected layer of Units units followed by ReLU.
	Dense LayerKind = iota
	// Conv is a 2-D convolution with Filters filters of Kernel×Kernel,
	// stride 1 and "same" zero padding, followed by ReLU.
	Conv
	// MaxPool is 2×2 max-pooling with stride 2 (odd sizes are floored).
	MaxPool
	// Dropout zeroes each input with probability Rate while training
	// (inverted dropout: survivors are scaled by 1/(1−Rate)); it is the
	// identity at evaluation.
	Dropout
)

// String returns the kind's name.
func (k LayerKind) String() string {
	switch k {
	case Dense:
		return "dense"
	case Conv:
		return "conv"
	case MaxPool:
		return "maxpool"
	case Dropout:
		return "dropout"
	}
	return "LayerKind(" + strconv.Itoa(int(k)) + ")"
}

// LayerSpec describes one hidden layer. Only the fields of its Kind are
// read; the others must be zero.
type LayerSpec struct {
	Kind LayerKind
	// Units is the width of a Dense layer.
	Units int
	// Filters and Kernel are a Conv layer's output channels and kernel size.
	Filters, Kernel int
	// Rate is a Dropout layer's drop probability, 0 ≤ Rate < 1.
	Rate float64
}

// String returns a short human-readable form of the layer, such as
// "conv 32 k3", "maxpool", "dropout 0.25" or "dense 128".
func (s LayerSpec) String() string {
	switch s.Kind {
	case Dense:
		return fmt.Sprintf("dense %d", s.Units)
	case Conv:
		return fmt.Sprintf("conv %d k%d", s.Filters, s.Kernel)
	case MaxPool:
		return "maxpool"
	case Dropout:
		return "dropout " + strconv.FormatFloat(s.Rate, 'g', -1, 64)
	}
	return s.Kind.String()
}

// MaxHidden is the largest number of hidden layers a model may have
// (networks of depth < 7).
const MaxHidden = 6

// Config fixes a model's input, output and initialisation.
type Config struct {
	// Seed seeds the Glorot-uniform initialisation of the weights.
	Seed int64
	// Threads is the number of goroutines training and evaluation use
	// (≤ 0 means 1). Results do not depend on it.
	Threads int
	// InputH, InputW and InputC are the input's height, width and channels
	// (0 means 28, 28 and 1).
	InputH, InputW, InputC int
	// Classes is the number of output classes (0 means 10).
	Classes int
}

func (c Config) withDefaults() Config {
	if c.InputH == 0 {
		c.InputH = 28
	}
	if c.InputW == 0 {
		c.InputW = 28
	}
	if c.InputC == 0 {
		c.InputC = 1
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Threads <= 0 {
		c.Threads = 1
	}
	return c
}

// maxWidth bounds the units of a dense layer and the filters of a
// convolution; MaxParams bounds a whole model (four float32 copies of
// 2^28 parameters are 4 GiB).
const (
	maxWidth  = 1 << 16
	MaxParams = 1 << 28
)

// maxKernel bounds convolution kernels (larger ones make no sense on the
// small images this engine trains on and would only waste memory).
const maxKernel = 15

// Validate reports the first problem with a stack of hidden layers on an
// input of h×w×c, or nil when a model can be built from it.
func Validate(layers []LayerSpec, h, w, c int) error {
	if h <= 0 || w <= 0 || c <= 0 || h > maxWidth || w > maxWidth || c > maxWidth {
		return fmt.Errorf("nn: input %d×%d×%d: sizes must be in 1..%d", h, w, c, maxWidth)
	}
	if len(layers) > MaxHidden {
		return fmt.Errorf("nn: %d hidden layers: at most %d allowed (depth < 7)", len(layers), MaxHidden)
	}
	spatial := true
	for i, s := range layers {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("nn: layer %d (%s): %s", i, s, fmt.Sprintf(format, args...))
		}
		switch s.Kind {
		case Dense:
			if s.Units <= 0 || s.Units > maxWidth {
				return bad("units must be in 1..%d", maxWidth)
			}
			if s.Filters != 0 || s.Kernel != 0 || s.Rate != 0 {
				return bad("a dense layer takes only Units")
			}
			spatial = false
		case Conv:
			if !spatial {
				return bad("convolution after a dense layer")
			}
			if s.Filters <= 0 || s.Filters > maxWidth {
				return bad("filters must be in 1..%d", maxWidth)
			}
			if s.Kernel <= 0 || s.Kernel > maxKernel {
				return bad("kernel must be in 1..%d", maxKernel)
			}
			if s.Units != 0 || s.Rate != 0 {
				return bad("a conv layer takes only Filters and Kernel")
			}
			c = s.Filters
		case MaxPool:
			if !spatial {
				return bad("pooling after a dense layer")
			}
			if h < 2 || w < 2 {
				return bad("pooling a %d×%d map (needs at least 2×2)", h, w)
			}
			if s.Units != 0 || s.Filters != 0 || s.Kernel != 0 || s.Rate != 0 {
				return bad("a pooling layer takes no parameters")
			}
			h, w = h/2, w/2
		case Dropout:
			if !(s.Rate >= 0 && s.Rate < 1) {
				return bad("rate must satisfy 0 ≤ rate < 1")
			}
			if s.Units != 0 || s.Filters != 0 || s.Kernel != 0 {
				return bad("a dropout layer takes only Rate")
			}
		default:
			return bad("unknown layer kind")
		}
	}
	return nil
}

var errNoData = errors.New("no samples")
