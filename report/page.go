package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed page.tmpl
var pageTmpl string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"shortMix": shortMix}).Parse(pageTmpl))

// ZoomAbove is the max accuracy above which the zoomed max-accuracy chart
// shows models (the seed's 0.72).
const ZoomAbove = 0.72

// galleryItem is one average image in a gallery.
type galleryItem struct {
	Img   int    // index of the image class
	Class string // conv, div or empty
	Tip   string
	Name  string
}

type mixCell struct {
	Name, Class string
	Samples     template.URL
}

type mixRow struct {
	Slot  int
	Cells []mixCell
}

type modelRow struct {
	ID, Spec, Color string
	Params          string
	Depth           int
	Acc             []string
	Slope, R2, Max  string
}

type weightCell struct {
	Name string
	Src  template.URL
}

type weightRow struct {
	Slot  int
	Cells []weightCell
}

type kindItem struct{ Name, Color string }

type measureGallery struct {
	Name  string
	Items []galleryItem
}

// modelJSON is what the page's script knows of a model (short keys keep the
// page small with a thousand models).
type modelJSON struct {
	ID     string    `json:"id"`
	Spec   string    `json:"s"`
	Family string    `json:"f"`
	Depth  int       `json:"d"`
	Params int64     `json:"p"`
	FLOPs  int64     `json:"fl,omitempty"`
	Acc    []*string `json:"a"`
	Slope  string    `json:"sl"`
	CI     string    `json:"ci,omitempty"`
	R2     string    `json:"r2"`
	Max    string    `json:"m"`
	Seeds  int       `json:"n"`
}

type pageData struct {
	Title, Subtitle, Build string
	CSS, AvgCSS            template.CSS
	JS                     template.JS
	Measure                string
	MeasureLow             bool
	Gallery                []galleryItem
	Conv, Div              []galleryItem
	MixCols, MixShort      []string
	MixRows                []mixRow
	MLP                    template.HTML
	MLPModels              []modelRow
	Seeds                  bool
	WeightCols             []string
	Weights                []weightRow
	CNN                    template.HTML
	NCNN                   int
	Kinds                  []kindItem
	Zoom                   float64
	MaxAcc, MaxAccZoom     template.HTML
	Arch, Params           template.HTML
	Galleries              []measureGallery
	Sep                    template.HTML
	Run                    Run
	Started, Finished      string
	Built                  string
	ModelsJSON             []modelJSON
	Findings               template.HTML
}

// labelTip is the hover text of a label: name, drawings and every measure.
func labelTip(in *Input, l *Label) string {
	var b strings.Builder
	b.WriteString(l.Name)
	if l.Drawings > 0 {
		fmt.Fprintf(&b, "\n%d drawings", l.Drawings)
		if l.Source != "" {
			fmt.Fprintf(&b, " (%s)", l.Source)
		}
	}
	for _, m := range in.Measures {
		if v, ok := l.Measures[m.Name]; ok {
			fmt.Fprintf(&b, "\n%s: %s", m.Name, strconv.FormatFloat(v, 'g', 5, 64))
		}
	}
	return b.String()
}

// fmtAcc formats an accuracy with three decimals, "–" when missing.
func fmtAcc(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// fmtSlope formats a slope with four decimals, "–" when missing.
func fmtSlope(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// fmtCount formats an integer with thin thousands separators.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' && s[i-1] != '-' {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// measureLow reports whether low values of the named measure are convergent.
func (in *Input) measureLow(name string) bool {
	for _, m := range in.Measures {
		if m.Name == name {
			return m.LowIsConvergent
		}
	}
	return true
}

// orderBy returns the indices of the labels carrying the measure, most
// convergent first (ties by name).
func (in *Input) orderBy(name string) []int {
	low := in.measureLow(name)
	var idx []int
	for i, l := range in.Labels {
		if v, ok := l.Measures[name]; ok && !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		va, vb := in.Labels[idx[a]].Measures[name], in.Labels[idx[b]].Measures[name]
		if va != vb {
			return (va < vb) == low
		}
		return in.Labels[idx[a]].Name < in.Labels[idx[b]].Name
	})
	return idx
}

// validate checks what the renderer relies on.
func (in *Input) validate() error {
	seen := make(map[string]bool, len(in.Models))
	for i := range in.Models {
		m := &in.Models[i]
		if m.ID == "" {
			return fmt.Errorf("report: model %d (%q) has no id", i, m.Spec)
		}
		if seen[m.ID] {
			return fmt.Errorf("report: model id %q appears twice", m.ID)
		}
		seen[m.ID] = true
		if len(m.Acc) > len(in.Mixes) {
			return fmt.Errorf("report: model %q has accuracies for %d mixes, the input has %d", m.Spec, len(m.Acc), len(in.Mixes))
		}
	}
	for _, l := range in.Labels {
		if l.Average != nil && len(l.Average) != 784 {
			return fmt.Errorf("report: label %q: average image has %d values, want 784", l.Name, len(l.Average))
		}
	}
	for _, p := range in.Perceptron {
		for c, w := range p.Classes {
			if len(w) != 784 {
				return fmt.Errorf("report: perceptron weights of %s, class %d: %d values, want 784", p.Mix, c, len(w))
			}
		}
	}
	return nil
}

// renderPage renders index.html.
func renderPage(in *Input, built time.Time) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	d := pageData{
		Title:   in.Title,
		CSS:     template.CSS(pageCSS),
		JS:      template.JS(pageJS),
		Zoom:    ZoomAbove,
		Run:     in.Run,
		Built:   built.UTC().Format(time.RFC3339),
		Kinds:   []kindItem{{"conv", kindColor[Conv]}, {"pool", kindColor[Pool]}, {"dropout", kindColor[Dropout]}, {"fc", kindColor[Dense]}},
		Measure: in.Measure,
	}
	if in.Findings != nil {
		h, err := in.Findings.HTML()
		if err != nil {
			return nil, err
		}
		d.Findings = h
	}
	if d.Title == "" {
		d.Title = "fluens: model decay on QuickDraw mixes"
	}
	if d.Measure == "" && len(in.Measures) > 0 {
		d.Measure = in.Measures[0].Name
	}
	d.MeasureLow = in.measureLow(d.Measure)
	if !in.Run.Started.IsZero() {
		d.Started = in.Run.Started.UTC().Format(time.RFC3339)
	}
	if !in.Run.Finished.IsZero() {
		d.Finished = in.Run.Finished.UTC().Format(time.RFC3339)
	}
	conv, div := setOf(in.Convergent), setOf(in.Divergent)

	// Average images: one CSS class each, reused by every gallery.
	var css strings.Builder
	imgOf := make(map[string]int, len(in.Labels))
	for i := range in.Labels {
		l := &in.Labels[i]
		imgOf[l.Name] = -1
		if l.Average == nil {
			continue
		}
		imgOf[l.Name] = i
		fmt.Fprintf(&css, ".a%d{background-image:url(%s)}\n", i, pngURI(averageImage(l.Average)))
	}
	d.AvgCSS = template.CSS(css.String())
	labelByName := make(map[string]*Label, len(in.Labels))
	for i := range in.Labels {
		labelByName[in.Labels[i].Name] = &in.Labels[i]
	}
	item := func(l *Label) galleryItem {
		g := galleryItem{Img: imgOf[l.Name], Tip: labelTip(in, l), Name: l.Name}
		if conv[l.Name] {
			g.Class = "conv"
		} else if div[l.Name] {
			g.Class = "div"
		}
		return g
	}
	for _, i := range in.orderBy(d.Measure) {
		d.Gallery = append(d.Gallery, item(&in.Labels[i]))
	}
	chosen := func(names []string) []galleryItem {
		var out []galleryItem
		for _, n := range names {
			if l := labelByName[n]; l != nil {
				out = append(out, item(l))
			} else {
				out = append(out, galleryItem{Img: -1, Tip: n, Name: n})
			}
		}
		return out
	}
	d.Conv, d.Div = chosen(in.Convergent), chosen(in.Divergent)

	// Mix grid.
	slots := 0
	for _, m := range in.Mixes {
		d.MixCols = append(d.MixCols, m.Name)
		d.MixShort = append(d.MixShort, shortMix(m.Name))
		slots = max(slots, len(m.Slots))
	}
	for s := range slots {
		r := mixRow{Slot: s}
		for _, m := range in.Mixes {
			var c mixCell
			if s < len(m.Slots) {
				c.Name = m.Slots[s]
				if conv[c.Name] {
					c.Class = "conv"
				} else if div[c.Name] {
					c.Class = "div"
				}
			}
			if s < len(m.Samples) && len(m.Samples[s]) > 0 {
				c.Samples = template.URL(pngURI(drawingsStrip(m.Samples[s])))
			}
			r.Cells = append(r.Cells, c)
		}
		d.MixRows = append(d.MixRows, r)
	}

	// Models by family.
	var mlps, cnns, all []*Model
	for i := range in.Models {
		m := &in.Models[i]
		all = append(all, m)
		if m.seeds() > 1 {
			d.Seeds = true
		}
		if m.Family == "mlp" {
			mlps = append(mlps, m)
		} else {
			cnns = append(cnns, m)
		}
	}
	nmix := len(in.Mixes)
	if len(mlps) > 0 {
		d.MLP = template.HTML(decayChart("mlp-decay", mlps, nmix, false))
		for i, m := range mlps {
			r := modelRow{ID: m.ID, Spec: specText(m), Color: modelColor(m, i, len(mlps)),
				Params: fmtCount(m.Params), Depth: m.Depth,
				Slope: fmtSlope(m.Slope), R2: fmtFloat(m.R2, 3), Max: fmtAcc(m.MaxAcc)}
			for k := range nmix {
				r.Acc = append(r.Acc, fmtAcc(m.MeanAcc(k)))
			}
			d.MLPModels = append(d.MLPModels, r)
		}
	}
	if len(cnns) > 0 {
		d.NCNN = len(cnns)
		d.CNN = template.HTML(decayChart("cnn-decay", cnns, nmix, true))
		d.MaxAcc = template.HTML(maxAccChart("maxacc", all, 0))
		d.MaxAccZoom = template.HTML(maxAccChart("maxacc-zoomed", all, ZoomAbove))
		d.Arch = template.HTML(archChart("arch", cnns))
		d.Params = template.HTML(paramsChart("params", all))
	}

	// Perceptron weights: classes (rows) × mixes (columns).
	mixIndex := make(map[string]int, len(in.Mixes))
	for i, m := range in.Mixes {
		mixIndex[m.Name] = i
	}
	classes := 0
	for _, p := range in.Perceptron {
		d.WeightCols = append(d.WeightCols, shortMix(p.Mix))
		classes = max(classes, len(p.Classes))
	}
	for c := range classes {
		r := weightRow{Slot: c}
		for _, p := range in.Perceptron {
			var cell weightCell
			if i, ok := mixIndex[p.Mix]; ok && c < len(in.Mixes[i].Slots) {
				cell.Name = in.Mixes[i].Slots[c]
			}
			if c < len(p.Classes) {
				cell.Src = template.URL(pngURI(weightImage(p.Classes[c])))
			}
			r.Cells = append(r.Cells, cell)
		}
		d.Weights = append(d.Weights, r)
	}

	// Measures.
	for _, mi := range in.Measures {
		g := measureGallery{Name: mi.Name}
		for _, i := range in.orderBy(mi.Name) {
			g.Items = append(g.Items, item(&in.Labels[i]))
		}
		d.Galleries = append(d.Galleries, g)
	}
	if len(in.Measures) > 0 && len(in.Labels) > 0 {
		d.Sep = template.HTML(separationChart("separation", in))
	}

	for _, m := range all {
		j := modelJSON{ID: m.ID, Spec: specText(m), Family: m.Family, Depth: m.Depth, Params: m.Params, FLOPs: m.FLOPs,
			Slope: fmtSlope(m.Slope), R2: fmtFloat(m.R2, 3), Max: fmtAcc(m.MaxAcc), Seeds: m.seeds()}
		if !math.IsNaN(m.SlopeLo) && !math.IsNaN(m.SlopeHi) && m.seeds() > 1 {
			j.CI = "[" + fmtSlope(m.SlopeLo) + ", " + fmtSlope(m.SlopeHi) + "]"
		}
		for k := range nmix {
			if a := m.MeanAcc(k); !math.IsNaN(a) {
				s := fmtAcc(a)
				j.Acc = append(j.Acc, &s)
			} else {
				j.Acc = append(j.Acc, nil)
			}
		}
		d.ModelsJSON = append(d.ModelsJSON, j)
	}
	d.Subtitle = fmt.Sprintf("%d labels measured, %d mixes, %d models (%d MLPs, %d CNNs), %d jobs",
		len(in.Labels), len(in.Mixes), len(in.Models), len(mlps), len(cnns), in.Run.Jobs)

	// The build id is a hash of the page itself, written into its
	// fluens-build meta element after rendering.
	d.Build = buildPlaceholder
	var out bytes.Buffer
	if err := pageTemplate.Execute(&out, &d); err != nil {
		return nil, fmt.Errorf("report: rendering the page: %w", err)
	}
	sum := sha256.Sum256(out.Bytes())
	page := bytes.Replace(out.Bytes(), []byte(buildPlaceholder), []byte(hex.EncodeToString(sum[:8])), 1)
	return page, nil
}

// buildPlaceholder stands for the build id while the page is rendered.
const buildPlaceholder = "fluens-build-id-placeholder"

// BuildID returns the build id of a page rendered by this package (the
// content of its fluens-build meta element), or "" if it has none.
func BuildID(page []byte) string {
	const key = `<meta name="fluens-build" content="`
	i := bytes.Index(page, []byte(key))
	if i < 0 {
		return ""
	}
	rest := page[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// specText is a model's spec, or a name for the perceptron's empty spec.
func specText(m *Model) string {
	if m.Spec == "" {
		return "perceptron"
	}
	return m.Spec
}

// shortMix shortens "conv_div_mix_07" to "07".
func shortMix(name string) string {
	if i := strings.LastIndexByte(name, '_'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return name
}
