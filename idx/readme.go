package idx

import (
	"fmt"
	"io"
	"strings"

	"github.com/fluens-lab/fluens/mix"
)

// writeReadme writes the README.md of a prepared folder: what it holds,
// how it was made, the QuickDraw attribution and the Forma Fluens citation.
func writeReadme(w io.Writer, man *Manifest) error {
	s := man.Settings
	n := len(man.Convergent)
	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }
	p("# Forma Fluens mixes of QuickDraw drawings\n\n")
	p("This folder holds %d datasets in MNIST format, `conv_div_mix_00` … `%s`, made by\n", len(man.Mixes), mix.Name(n))
	p("`fluens prepare` from Google's Quick, Draw! drawings. `conv_div_mix_00` holds the %d most\n", n)
	p("*convergent* labels (whose average drawing stays sharp), `%s` the %d most *divergent*\n", mix.Name(n), n)
	p("(whose average blurs); mix k swaps the labels of slots 0 … k-1 for divergent ones, so each\n")
	p("mix differs from the one before in exactly one slot. A slot keeps its class index in every mix.\n\n")
	p("## Labels\n\n| slot | convergent | divergent |\n| --- | --- | --- |\n")
	for i := range n {
		p("| %d | %s | %s |\n", i, man.Convergent[i], man.Divergent[i])
	}
	p("\n## Files\n\n")
	p("- `conv_div_mix_NN/`: `%s`, `%s`, `%s`, `%s`: gzipped IDX\n", TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile)
	p("  files as described on http://yann.lecun.com/exdb/mnist/ (magic 2051 images, 2049 labels,\n")
	p("  big-endian counts, 28×28 unsigned-byte pixels, 0 = background, labels 0–%d = slot index).\n", n-1)
	p("  TensorFlow's `read_data_sets` reads a mix folder as it is; torchvision's `MNIST(root)` reads\n")
	p("  the four files gunzipped into `root/MNIST/raw/` (where its download step puts them).\n")
	p("- `labels.json`: the two label lists, the label of each slot of each mix, the settings and the\n")
	p("  sha256 of every IDX file (`content_hash` keys a mix's data).\n")
	p("- `measures.csv`: every measured label with the format its drawings came from (`bitmap`, or\n")
	p("  `strokes` rendered to 28×28), drawings used, normalized sample entropy and variance of its\n")
	p("  average image, and its rank by `%s` (1 = most convergent).\n", s.Measure)
	p("- `averages/`: the average image of each measured label, 28×28 PNG.\n\n")
	p("## Settings\n\n")
	p("- source: %s\n", s.Source)
	p("- drawings per label: %d (the first %d of each category), %d for test, %d for training\n",
		s.PerClass, s.PerClass, s.TestCount(), s.PerClass-s.TestCount())
	p("- split: each label's drawings are shuffled by a seed derived from seed %d and the label's name,\n", s.Seed)
	p("  so a label's test drawings are the same in every mix\n")
	p("- labels ranked by: %s\n\n", s.Measure)
	p("| mix | train | test | content hash (sha256) |\n| --- | --- | --- | --- |\n")
	for _, m := range man.Mixes {
		p("| %s | %d | %d | `%s` |\n", m.Name, m.Train, m.Test, m.ContentHash)
	}
	p("\n## Attribution and citation\n\n")
	p("The drawings are from the Quick, Draw! dataset\n")
	p("(https://github.com/googlecreativelab/quickdraw-dataset), made available by Google, Inc. under\n")
	p("the Creative Commons Attribution 4.0 International licence (CC BY 4.0,\n")
	p("https://creativecommons.org/licenses/by/4.0/). These derived datasets carry the same licence\n")
	p("and attribution.\n\n")
	p("The experiment follows Forma Fluens by Hendrik Strobelt, Jonas Phibbs and Mauro Martino\n")
	p("(formafluens.io, \"Model decay\", https://formafluens.io/client/mix.html).\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
