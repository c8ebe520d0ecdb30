// Package mix chooses the convergent and divergent labels and builds the
// eleven Forma Fluens datasets from them.
//
// The experiment (Hendrik Strobelt, Jonas Phibbs, Mauro Martino, Forma
// Fluens, formafluens.io, "Model decay", formafluens.io/client/mix.html;
// DESIGN.md step 3) takes the 10 most convergent QuickDraw labels (mix_00)
// and the 10 most divergent, and slides from one to the other: mix k
// replaces the labels of slots 0 … k-1 by the corresponding divergent
// labels, so mix_10 is all divergent and consecutive mixes differ in
// exactly one slot. Slot i keeps its index (the class label written to the
// IDX files) in every mix.
//
// Contract:
//   - Choose takes categories ranked by a measure (package measure) and
//     keeps those measured on at least the per-class count of drawings;
//     CheckLists validates lists given by hand (equal lengths 1 … 10, no
//     name twice, every name held by the source).
//   - Build reads the first PerClass drawings of each of the labels
//     (bitmaps where the source has them, rendered strokes otherwise) and
//     splits each label once into train and test: a Fisher–Yates shuffle
//     seeded by the global seed and the label's name, then the first
//     round(PerClass·TestFraction) drawings go to test. A label's test
//     drawings are therefore the same in every mix that holds it, whatever
//     the other slots hold.
//   - Bundle.Sets assembles one mix's train and test sets, labelled by slot
//     and shuffled by an order seeded by the global seed and the mix's
//     name. Same source data and settings give the same bytes, whatever
//     the number of workers or the Go version (the generator is PCG-DXSM,
//     and bounded integers use Lemire's method written out here).
//
// The drawings are Google's Quick, Draw! dataset
// (https://github.com/googlecreativelab/quickdraw-dataset), made available
// by Google, Inc. under CC BY 4.0.
package mix
