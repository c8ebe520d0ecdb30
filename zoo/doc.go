// Package zoo describes the model zoo of the Forma Fluens "model decay"
// experiment: the twelve fully-connected networks of depth < 4, the random
// CNN sampler, canonical spec strings and their parser, and per-model
// parameter counts, depths and FLOP counts.
//
// The package knows nothing of the training engine (package nn): a Spec is a
// plain list of hidden layers; package sweep turns it into the engine's
// layer descriptions. The network it describes is the one of the nn issue:
// input 28×28×1; convolutions k×k, stride 1, "same" zero padding, ReLU;
// max-pooling 2×2 with stride 2 (the map shrinks to ⌊h/2⌋×⌊w/2⌋); inverted
// dropout; an implicit flatten before the first dense layer; hidden dense
// layers with ReLU; and an implied output layer, dense 10 with softmax, that
// is not part of the list.
//
// # Spec strings
//
// A spec is written as its hidden layers joined by "-":
//
//	C<filters>k<kernel>   convolution, e.g. C32k3
//	P2                    max-pooling 2×2, stride 2
//	D<rate>               dropout with rate in (0, 1), e.g. D0.25
//	F<units>              fully-connected (dense), e.g. F128
//
// so that C32k3-P2-D0.25-F128 is a convolution of 32 3×3 filters, a pooling,
// a dropout of 0.25 and a dense layer of 128 units, followed by the implied
// dense 10. The perceptron (784→10, no hidden layer) is spelled "linear".
// Integers are written in decimal without sign or leading zeros, and the
// rate with the fewest digits that read back to the same float64
// (strconv.FormatFloat(r, 'f', -1, 64)). Parse accepts only this canonical
// form, so for every string s that parses, Parse(s).String() == s, and a
// model's ID (the first 12 hex digits of the SHA-256 of its spec string) is a
// function of the architecture alone.
//
// # Depth, parameters, FLOPs
//
// Depth is the number of hidden layers (convolution, pooling, dropout and
// dense alike), so the perceptron has depth 0, the MLPs depth 0–2 (the seed's
// "depth < 4") and the sampled CNNs depth 1–6 (the seed's "depth < 7").
// Params counts weights and biases of every convolution and dense layer,
// the output layer included: a convolution has f·(c·k²+1), a dense layer
// u·(n+1) where n is its flattened input size. FLOPs is the forward cost of
// one image counted as 2 × the multiply-adds of the convolutions (including
// those over the zero padding, as im2col computes them) and the dense
// layers; biases, ReLU, pooling, dropout and softmax are not counted.
//
// # The zoo
//
// MLPs returns the twelve networks of the seed (Forma Fluens, "Model decay",
// formafluens.io/client/mix.html): the perceptron; one hidden layer of 16,
// 32, 64, 128, 256 or 512 units; two hidden layers of 32, 64, 128, 256 or 512
// units each.
//
// Sample draws random CNNs as the seed describes, with these
// distributions (the seed names only the ranges): the number of hidden
// layers is uniform on 1–6; each layer's kind is uniform among the kinds
// allowed at that point (convolution, pooling, dropout and dense before the
// first dense layer, pooling only while the map is at least 2×2; dropout and
// dense after it); filters are uniform on the powers of two 8–128 and the
// kernel on {3, 5}; dense units are uniform on the powers of two 16–1024 (so
// both are log-uniform); the dropout rate is uniform on 0.10, 0.15, …, 0.50.
// A pooling or dropout layer may come first. Draws that repeat an earlier
// draw or one of the twelve MLPs are redrawn, so every model of a zoo has its
// own ID. The generator is math/rand/v2's PCG seeded with (seed, 0x5a00), so
// the same seed gives the same zoo.
package zoo
