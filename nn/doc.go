// Package nn is a float32 training engine for the small image classifiers
// of the fluens study: stacks of dense, convolution, max-pooling and
// dropout layers ending in a dense softmax layer, trained with Adam.
//
// # Contract
//
// A model is built by New from a list of hidden layers (LayerSpec) and a
// Config. ReLU follows every hidden Dense and Conv layer, a flatten is
// implied before the first Dense layer and the output layer (dense,
// Config.Classes units, softmax cross-entropy) is implied after the last.
// At most MaxHidden hidden layers are allowed (depth < 7); pooling needs a
// map of at least 2×2; no Conv or MaxPool may follow a Dense layer.
//
// Inputs are bytes (0 = background, 255 = ink) scaled to [0, 1] as x/255.
// Activations are stored NHWC (sample, row, column, channel), so flattening
// a feature map orders its values row, column, channel.
//
//   - Dense: y = x·W + b with W of shape [in, out].
//   - Conv: k×k kernels, stride 1, "same" zero padding ((k−1)/2 before, the
//     rest after), weights [k, k, C_in, filters]; computed as im2col + GEMM
//     with bias and ReLU fused into the product's epilogue (gemm.SgemmBias).
//   - MaxPool: 2×2 windows, stride 2; odd trailing rows/columns are dropped;
//     the gradient goes to the first maximum of each window.
//   - Dropout: inverted dropout (kept values scaled by 1/(1−rate)) while
//     training, identity at evaluation (Srivastava et al. 2014, JMLR 15).
//   - Output: softmax cross-entropy with a log-sum-exp shifted by the row
//     maximum; the loss is the batch mean.
//
// Weights start Glorot-uniform, U(−a, a) with a = √(6/(fan_in+fan_out))
// (Glorot & Bengio 2010, AISTATS; for a convolution fan_in = k·k·C_in and
// fan_out = k·k·C_out), biases zero. Training uses Adam (Kingma & Ba 2015,
// ICLR; β1 0.9, β2 0.999, ε 1e-8, bias-corrected as PyTorch does:
// w −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)) on mini-batches (512 by
// default, the last partial batch included) shuffled each epoch from the
// training seed.
//
// # Determinism
//
// The same layers, Config.Seed, data and TrainConfig give bit-identical
// weights and accuracies whatever Config.Threads is. Work is split across
// goroutines only where each goroutine writes its own outputs (rows of a
// product, samples of im2col, pooling and dropout, ranges of Adam's
// update); every sum over the batch (weight and bias gradients) is a
// matrix product whose inner dimension is the batch (or, for a
// convolution, a fixed sequence of products over fixed chunks of samples),
// which package gemm never splits, or a loop over samples in a fixed
// order. Dropout masks
// are drawn per sample from SplitMix64 (Steele, Lea & Flood 2014) seeded
// by the training seed, the step, the layer and the sample's position.
//
// # Memory
//
// Workspaces are sized for the batch on the first step and reused: a
// training step allocates nothing afterwards. Convolutions process the
// batch in chunks of samples so that the im2col matrix stays below 2 MiB
// (one sample's, if larger). A model holds its parameters four times
// (weights, gradients, Adam's two moments) and, per layer, the batch's
// output and input gradient.
//
// # Speed
//
// BenchmarkTrainW1/W2/W3 and the fluens bench command measure the training
// throughput of issue #3's workloads. The layer code keeps passes over the
// activations few: bias and ReLU are fused into the forward product, the
// ReLU mask of a convolution followed by pooling is applied inside the
// pooling's backward pass (which routes gradients with bit masks, not
// branches), the im2col matrix of a batch that fits one chunk is reused by
// the backward pass, and the bias gradient comes out of the weight
// gradient's product through a column of ones. Two small kernels are
// written in Go assembly (vec_amd64.s; AVX, chosen at run time through
// golang.org/x/sys/cpu, with the Go loops as fallback on other CPUs): the
// Adam update and the conversion of the batch's bytes to float32. They do
// the same operations as the Go loops, in the same order.
//
// # Weights
//
// Weights are saved in the safetensors format (github.com/huggingface/
// safetensors, README "Format": an 8-byte little-endian header length, a
// JSON header naming each tensor's dtype, shape and byte range, then the
// raw little-endian data); see Model.Tensors for the names and shapes.
// The reader checks every offset, shape and dtype and rejects holes,
// overlaps, duplicate keys and trailing bytes.
//
// Written by hand rather than on a general framework: the notes in
// ../shared/notes/engine-measurements.md found Gorgonia failing to start
// under Go 1.26 and GoMLX's pure-Go backend two orders of magnitude slower
// than PyTorch and missing the max-pool gradient.
package nn
