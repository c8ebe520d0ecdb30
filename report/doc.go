// Package report turns a result store and a prepared data folder into the
// fluens report: one self-contained, interactive HTML page and static
// figures for papers. It is the last stage of the pipeline (DESIGN.md:
// quickdraw → measure → mix → idx; zoo, nn → sweep → decay → report).
//
// # Contract
//
// Load reads a result store (package sweep: one JSON record per job in
// RUNS/jobs, the perceptron's weights as <key>.safetensors next to its
// records) and a prepared data folder (package idx: labels.json,
// measures.csv, averages/*.png and the conv_div_mix_NN IDX folders) into an
// Input, plain data that tests can also build by hand. Models and their
// decay come from decay.Summarize, so the page and `fluens results` agree;
// records made on other data than the prepared folder (another content
// hash) are left out with a warning. A damaged record (truncated, not
// JSON, another job's) is an error, a *sweep.DamagedError naming each
// damaged file, unless LoadOptions.SkipDamaged leaves it out with a
// warning; Server, a live view of a store being written, always skips
// them. Write renders an Input into a folder:
//
//	REPORT/index.html   the page
//	REPORT/figures/     decay_mlp, decay_cnn, maxacc_decay, params_decay,
//	                    architectures, perceptron_weights (those the data
//	                    allow), each as .svg and as a PrintDPI (300 dpi) .png
//
// The folder is built next to REPORT and renamed into place, so REPORT
// holds the old report or the new one, never half of one; a non-empty
// folder that holds no report is never replaced.
//
// # The page
//
// index.html needs no network: every chart is inline SVG written by this
// package, images are PNG data URIs (each average image once, as a CSS
// class that every gallery reuses), the script and styles are inline and
// its own (no third-party JavaScript). Its five sections follow the Forma
// Fluens "Model decay" page: the average images ordered by the chosen
// measure, the convergent and divergent labels and the mixes (slots ×
// mixes, with test drawings); the MLPs' decay curves and the perceptron's
// positive weights (classes × mixes); the random CNNs' decay curves with
// their least-squares lines, max accuracy vs decay (radius = depth, with a
// pre-rendered zoom onto max accuracy > ZoomAbove), the architectures as
// columns of colour-coded layers (conv blue, pool red, dropout orange, fc
// green) sorted by max accuracy, and parameters vs decay (size = max
// accuracy); the label galleries ordered by each measure and how well each
// separates the chosen convergent from the divergent labels (AUC, the
// Mann–Whitney statistic: Hanley & McNeil, Radiology 143, 1982); and the
// run's settings, data hashes, engine, seeds and dates with the commands
// that rerun it.
//
// Every mark of a model carries data-model="<id>". The script indexes them
// once at load; hovering a mark highlights the model in every chart and
// names it in a tooltip, clicking pins it. Highlighting copies the model's
// marks onto an overlay stacked on each chart, behind a veil that dims the
// rest, so the big charts are never repainted while the mouse moves: with
// 1,000 models × 11 mixes × 3 seeds the next frame comes about 20–25 ms
// after the hover in headless Chromium (see TestBrowserHoverLatency). With
// several seeds, curves are the mean and bands the range over seeds.
// Every string from the data is escaped (html/template for the page, the
// SVG writer escapes each attribute and text), so a label named
// <script>alert(1)</script> is shown as text. Served by Server (fluens
// serve), the page polls /version and reloads itself when a newer build
// exists; opened from disk it never touches the network.
//
// The interactive charts are written by hand because no maintained Go
// library writes inline SVG with linked views; the static figures use
// gonum/plot (gonum.org/v1/plot) and are tested against golden files as
// gonum/plot's own tests are.
//
// # Attribution
//
// The page's footer credits the data, The Quick, Draw! dataset, made
// available by Google, Inc. under the Creative Commons Attribution 4.0
// International licence (github.com/googlecreativelab/quickdraw-dataset),
// and the experiment it rebuilds: Hendrik Strobelt, Jonas Phibbs, Mauro
// Martino, Forma Fluens (formafluens.io), "Model decay"
// (formafluens.io/client/mix.html).
package report
