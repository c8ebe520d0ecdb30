// Package idx reads and writes the MNIST IDX format and exports the
// prepared data folder of fluens.
//
// # Format
//
// IDX is the format of the MNIST files, described at the foot of
// Yann LeCun's MNIST page (http://yann.lecun.com/exdb/mnist/): a magic
// number of four bytes (two zero bytes, the data type, 0x08 for unsigned
// bytes, and the number of dimensions), then each dimension's size as a
// big-endian 32-bit integer, then the data, row-major. Images files have
// magic 0x00000803 (2051; count, rows, cols), labels files 0x00000801
// (2049; count). The four files of an MNIST folder
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) are gzipped
// (RFC 1952); this is the layout TensorFlow's old read_data_sets and
// torchvision's MNIST dataset load.
//
// Readers accept gzipped (detected by the magic bytes 1f 8b) or plain
// files, check the magic, the dimensions, the data size (no truncation, no
// trailing bytes), label ranges and that images and labels counts agree,
// and report every problem as one error naming the file. Memory stays
// bounded: buffers grow only as data arrives, and no file may announce
// more than MaxDataBytes, so neither a lying header nor a gzip bomb can
// make a reader allocate much more than the data it really holds.
// Writers produce the same bytes for the same data (gzip without name or
// time) and write every file atomically (temporary file, fsync, rename).
//
// # Prepared folder
//
// idx is the last stage of `fluens prepare` (quickdraw → measure → mix →
// idx), the only one allowed to import all the others, so Prepare, the
// whole chain, lives here rather than in cmd/fluens: the command only maps
// flags to PrepareOptions, and tests (a folder against an HTTP mirror of
// it, byte for byte) call the same function. Export writes a mix.Bundle as
// the prepared data folder that DESIGN.md ("Contracts between stages")
// defines, and Open reads one back:
//
//	conv_div_mix_00/ … conv_div_mix_10/   the four MNIST files of each mix
//	labels.json                          the label lists, each mix's slots,
//	                                     settings and sha256 of every file
//	measures.csv                         one row per measured label
//	averages/<label>.png                 each measured label's average image
//	README.md                            description, attribution, citation
//
// Export builds the folder beside its destination (dir + ".tmp-<random>")
// and renames it into place only when every file is written and synced, so
// a run stopped half-way never leaves a folder that a later run would take
// for complete.
//
// The drawings are Google's Quick, Draw! dataset
// (https://github.com/googlecreativelab/quickdraw-dataset), made available
// by Google, Inc. under CC BY 4.0; the mixes follow Forma Fluens by Hendrik
// Strobelt, Jonas Phibbs and Mauro Martino (formafluens.io, "Model decay",
// formafluens.io/client/mix.html).
package idx
