// Package decay measures how a model's test accuracy decays as the mixes
// slide from all-convergent (mix_00) to all-divergent (mix_10), the
// "model decay" of Forma Fluens (Strobelt, Phibbs, Martino;
// formafluens.io/client/mix.html).
//
// For each run of a model (one seed) the decay curve is its final test
// accuracy on each mix; Fit fits the least-squares line
// accuracy = intercept + slope·k through the points (k, accuracy), k the
// mix index, with gonum's stat.LinearRegression, and reports the
// coefficient of determination r² (stat.RSquared) and the largest accuracy.
// The slope is the model's decay: negative when accuracy falls as divergent
// labels come in.
//
// Over the seeds of a model, Summarize averages the accuracy of each mix,
// fits that mean curve (for complete curves its slope equals the mean of
// the per-seed slopes, ordinary least squares being linear in y) and gives
// a 95% confidence interval for the mean slope, mean ± t(0.975, n−1)·s/√n,
// with s the sample standard deviation of the n per-seed slopes and t the
// Student t quantile (gonum's distuv.StudentsT). With one seed the interval
// is undefined: its bounds are NaN (empty cells in CSV). A curve with fewer
// than two distinct mixes has no slope (NaN).
//
// WriteResultsCSV, WriteModelsCSV and WriteSeedsCSV write the summaries
// that fluens results leaves in a store: one row per job, per model (the
// mean curve and the interval) and per model and seed (each seed's fit).
//
// Runs are grouped into models by spec string, hyperparameters and engine
// version, so one store may hold, say, a quick and a paper sweep side by
// side, each model of each appearing once.
package decay
