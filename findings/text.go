package findings

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/fluens-lab/fluens/sweep"
)

// fmtCI formats an estimate as "v [lo, hi]", or "v" when the interval is
// undefined.
func fmtCI(e Estimate) string {
	if math.IsNaN(e.Value) {
		return "n/a"
	}
	if math.IsNaN(e.Low) || math.IsNaN(e.High) {
		return fmt.Sprintf("%.4g [no CI]", e.Value)
	}
	return fmt.Sprintf("%.4g [%.4g, %.4g]", e.Value, e.Low, e.High)
}

// WriteText writes the findings for a terminal: the observations with
// their verdicts, the measures' judging, the baselines and the notes.
func (f *Findings) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "findings: %d records, %d models, up to %d seeds; store %s, data %s\n", f.Records, f.Models, f.Seeds, f.Runs, f.Data)
	fmt.Fprintf(&b, "rule: an observation predicts a sign; its 95%% CI wholly on that side of 0 = holds, wholly on the other = does not hold, else inconclusive\n\n")
	fmt.Fprintf(&b, "The seed's observations\n")
	for _, o := range f.Observations {
		fmt.Fprintf(&b, "  [%s] %s\n      %s: %s\n", strings.ToUpper(string(o.Verdict)), o.Claim, o.Test, o.Detail)
	}
	if len(f.ModelRows) > 0 {
		fmt.Fprintf(&b, "\nModels (mean over seeds [95%% CI])\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  spec\tfamily\tparams\tseeds\tacc mix_00\tmax acc\tslope\n")
		for _, r := range f.ModelRows {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.Spec, r.Family, r.Params, r.Seeds, fmtCI(r.Acc00), fmtCI(r.MaxAcc), fmtCI(r.Slope))
		}
		tw.Flush()
	}
	if len(f.Judgements) > 0 {
		fmt.Fprintf(&b, "\nConvergence measures against learnability (%d labels; oriented so that + = the measure works)\n", len(f.Labels))
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  measure\tSpearman ρ [95%% CI]\tAUC conv vs div [95%% CI]\tsource\n")
		for _, j := range f.Judgements {
			src := "measures.csv"
			if j.Computed {
				src = "computed on the mixes' drawings"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", j.Measure, fmtCI(j.Spearman), fmtCI(j.AUC), src)
		}
		tw.Flush()
		if f.Winner != "" {
			if f.RunnerUp != "" {
				fmt.Fprintf(&b, "  winner: %s, ahead of %s by Δρ = %s\n", f.Winner, f.RunnerUp, fmtCI(f.Margin))
			} else {
				fmt.Fprintf(&b, "  only measure: %s\n", f.Winner)
			}
		}
		fmt.Fprintf(&b, "\n  Kendall τ_b between measures\n")
		tw = tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  \t")
		for _, j := range f.Judgements {
			fmt.Fprintf(tw, "%s\t", j.Measure)
		}
		fmt.Fprintln(tw)
		for i, j := range f.Judgements {
			fmt.Fprintf(tw, "  %s\t", j.Measure)
			for _, v := range f.Agreement[i] {
				fmt.Fprintf(tw, "%.2f\t", v)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
		fmt.Fprintf(&b, "\n  Labels: learnability (mean per-class accuracy [95%% CI over models]) and measures\n")
		tw = tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  label\tchosen as\tlearnability")
		for _, j := range f.Judgements {
			fmt.Fprintf(tw, "\t%s", j.Measure)
		}
		fmt.Fprintln(tw)
		for _, l := range f.Labels {
			kind := "divergent"
			if l.Convergent {
				kind = "convergent"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s", l.Name, kind, fmtCI(l.Learnability))
			for _, j := range f.Judgements {
				v, ok := l.Measures[j.Measure]
				if !ok || math.IsNaN(v) {
					fmt.Fprintf(tw, "\t")
				} else {
					fmt.Fprintf(tw, "\t%.4g", v)
				}
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	if len(f.Mixes) > 0 {
		fmt.Fprintf(&b, "\nTraining-free baselines per mix\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  mix\tzoo mean accuracy [95%% CI]\tFisher F1\tCSG\n")
		for _, m := range f.Mixes {
			fmt.Fprintf(tw, "  %s\t%s\t%.4g\t%.4g\n", m.Name, fmtCI(m.MeanAcc), m.F1, m.CSG)
		}
		tw.Flush()
		for _, k := range []string{"fisher_f1", "csg"} {
			if e, ok := f.BaselineCorr[k]; ok {
				fmt.Fprintf(&b, "  Spearman ρ(%s, zoo mean accuracy) over mixes = %s (CSG negated: + = works)\n", k, fmtCI(e))
			}
		}
	}
	if len(f.Notes) > 0 {
		fmt.Fprintf(&b, "\nNotes\n")
		for _, n := range f.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MarshalJSON writes NaN bounds as null.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Value  sweep.Float `json:"value"`
		Low    sweep.Float `json:"low"`
		High   sweep.Float `json:"high"`
		N      int         `json:"n"`
		Method string      `json:"method"`
	}{sweep.Float(e.Value), sweep.Float(e.Low), sweep.Float(e.High), e.N, e.Method})
}

// MarshalJSON writes missing measures as null.
func (l Label) MarshalJSON() ([]byte, error) {
	m := map[string]sweep.Float{}
	for k, v := range l.Measures {
		m[k] = sweep.Float(v)
	}
	return json.Marshal(struct {
		Name         string                 `json:"name"`
		Convergent   bool                   `json:"convergent"`
		Learnability Estimate               `json:"learnability"`
		Measures     map[string]sweep.Float `json:"measures"`
	}{l.Name, l.Convergent, l.Learnability, m})
}

// MarshalJSON writes non-finite baselines as null.
func (m MixRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Index   int         `json:"index"`
		Name    string      `json:"name"`
		MeanAcc Estimate    `json:"mean_accuracy"`
		F1      sweep.Float `json:"fisher_f1"`
		CSG     sweep.Float `json:"csg"`
	}{m.Index, m.Name, m.MeanAcc, sweep.Float(m.F1), sweep.Float(m.CSG)})
}

// WriteJSON writes the findings as indented JSON (NaN as null).
func (f *Findings) WriteJSON(w io.Writer) error {
	agree := make([][]sweep.Float, len(f.Agreement))
	for i, r := range f.Agreement {
		for _, v := range r {
			agree[i] = append(agree[i], sweep.Float(v))
		}
	}
	type alias Findings
	b, err := json.MarshalIndent(struct {
		*alias
		Agreement [][]sweep.Float
	}{(*alias)(f), agree}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
