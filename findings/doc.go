// Package findings tests the observations of the Forma Fluens "model
// decay" study (Strobelt, Phibbs, Martino; formafluens.io) with
// statistics, and judges the convergence measures of package measure
// against how well the zoo actually learns each label.
//
// # Contract
//
// Compute reads a result store (package sweep) and the prepared folder it
// was trained on (package idx; records of other data are left out by
// their data hash), summarises each model's decay over its seeds (package
// decay) and returns a Findings: every slope, accuracy and correlation
// with a 95% confidence interval. A damaged record in the store
// (truncated, not JSON, another job's) is an error, a *sweep.DamagedError
// naming each damaged file, unless Options.SkipDamaged leaves it out with
// a note in Findings.Notes. The same store, folder and Options give
// the same Findings (the bootstrap and the measures that train are
// seeded).
//
// # The seed's observations
//
// Each observation predicts the sign of a statistic. Rule: when the
// statistic's 95% CI lies wholly on the predicted side of 0 the
// observation holds; wholly on the other side it does not hold; a CI that
// contains 0, or cannot be computed (too few models or seeds), is
// inconclusive.
//
//   - Accuracy decays from mix_00 to mix_10, per family: the mean over the
//     family's models of each model's seed-mean slope, Student t interval
//     over models; predicted < 0.
//   - Networks decay similarly: a one-way ANOVA (Fisher 1925) of the
//     per-seed slopes grouped by model. p < 0.05 (slopes differ by more
//     than seed noise explains) does not hold; p ≥ 0.05 holds (no
//     difference detected; the SD of the model slopes, with a bootstrap
//     CI, says how large a difference could hide); one seed is
//     inconclusive.
//   - More nodes per layer perform better: Spearman ρ between the hidden
//     width of the MLPs (perceptron excluded; one- and two-layer MLPs
//     together) and their seed-mean max accuracy; predicted > 0.
//   - Higher mix_00 accuracy goes with less decay: ρ(accuracy on mix_00,
//     slope) over all models; a slope nearer 0 is less decay, so
//     predicted > 0.
//   - CNNs starting with a convolution beat those starting with pooling
//     or dropout: difference of the groups' mean max accuracy with
//     Welch's interval (Welch 1947); predicted > 0.
//   - More parameters go with less decay: ρ(log parameters, slope);
//     predicted > 0.
//
// Spearman's ρ is gonum's stat.Correlation on mid-ranks; its interval is
// the percentile bootstrap over the units (Efron & Tibshirani 1993), 2000
// resamples by default.
//
// # Judging the measures
//
// Ground truth: a label's learnability is its per-class test accuracy
// (sweep.Record.PerClass, slot names from labels.json), averaged for each
// model over the mixes and seeds the label appears in, then over models
// (Student t interval over models). For each measure, its score is
// oriented (negated when low is convergent) and compared with
// learnability over the labels: Spearman ρ with a bootstrap CI; the AUC
// (Mann–Whitney; Hanley & McNeil 1982) separating the chosen convergent
// from the divergent labels with a stratified bootstrap CI — 1 by
// construction for the measure the labels were chosen by; and Kendall's
// τ_b (Kendall 1945, written here because gonum's stat.Kendall is τ_a)
// between every pair of measures. The winner is the measure with the
// largest ρ; its margin over the runner-up has a paired bootstrap CI.
// Measures missing from measures.csv are computed with
// measure.ScoreSplits on the labels' drawings read back from the mixes.
//
// Per mix, the training-free baselines measure.FisherF1 (Ho & Basu 2002)
// and measure.CSG (Branchaud-Charron et al. 2019) of the mix's training
// drawings are correlated (ρ, bootstrap CI over the mixes) with the zoo's
// mean accuracy on that mix.
package findings
