package findings

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
)

var htmlTmpl = template.Must(template.New("findings").Funcs(template.FuncMap{
	"ci": fmtCI,
	"num": func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return fmt.Sprintf("%.4g", v)
	},
	"verdictClass": func(v Verdict) string {
		switch v {
		case Holds:
			return "holds"
		case DoesNotHold:
			return "fails"
		}
		return "open"
	},
	"measure": func(l Label, name string) string {
		v, ok := l.Measures[name]
		if !ok || math.IsNaN(v) {
			return ""
		}
		return fmt.Sprintf("%.4g", v)
	},
}).Parse(`<div class="findings">
<style>.findings table{border-collapse:collapse;margin:.5em 0}.findings td,.findings th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}.findings tr.holds td:nth-child(2){color:#1a7f37;font-weight:bold}.findings tr.fails td:nth-child(2){color:#c62828;font-weight:bold}.findings tr.open td:nth-child(2){color:#8a6d00}</style>
<p>{{.Records}} runs of {{.Models}} models, up to {{.Seeds}} seeds. An observation predicts the sign of a statistic:
its 95% CI wholly on that side of 0 means it <b>holds</b>, wholly on the other that it <b>does not hold</b>; otherwise it is <b>inconclusive</b>.</p>
<table class="findings-obs"><tr><th>observation</th><th>verdict</th><th>test</th><th>figures (95% CI)</th></tr>
{{range .Observations}}<tr class="{{verdictClass .Verdict}}"><td>{{.Claim}}</td><td>{{.Verdict}}</td><td>{{.Test}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
{{if .Judgements}}<h3>Convergence measures against learnability</h3>
<p>Learnability: each label's per-class test accuracy averaged over the models, mixes and seeds. Scores are oriented so that a positive ρ and an AUC above 0.5 mean the measure works.</p>
<table class="findings-measures"><tr><th>measure</th><th>Spearman ρ (95% CI)</th><th>AUC convergent vs divergent (95% CI)</th></tr>
{{range .Judgements}}<tr><td>{{.Measure}}</td><td>{{ci .Spearman}}</td><td>{{ci .AUC}}</td></tr>
{{end}}</table>
{{if .RunnerUp}}<p>Winner: <b>{{.Winner}}</b>, ahead of {{.RunnerUp}} by Δρ = {{ci .Margin}}.</p>{{end}}
<table class="findings-labels"><tr><th>label</th><th>chosen as</th><th>learnability (95% CI)</th>{{range .Judgements}}<th>{{.Measure}}</th>{{end}}</tr>
{{$j := .Judgements}}{{range .Labels}}{{$l := .}}<tr><td>{{.Name}}</td><td>{{if .Convergent}}convergent{{else}}divergent{{end}}</td><td>{{ci .Learnability}}</td>{{range $j}}<td>{{measure $l .Measure}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Mixes}}<h3>Training-free baselines per mix</h3>
<table class="findings-mixes"><tr><th>mix</th><th>zoo mean accuracy (95% CI)</th><th>Fisher F1</th><th>CSG</th></tr>
{{range .Mixes}}<tr><td>{{.Name}}</td><td>{{ci .MeanAcc}}</td><td>{{num .F1}}</td><td>{{num .CSG}}</td></tr>
{{end}}</table>
<p>{{range $k, $v := .BaselineCorr}}Spearman ρ({{$k}}, zoo mean accuracy) = {{ci $v}}. {{end}}(CSG negated: positive means it works.)</p>{{end}}
{{if .Notes}}<ul class="findings-notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</div>`))

// HTML returns the findings as an HTML fragment (tables of the
// observations, the measures' judging and the baselines) for the report's
// "Findings" section. Every value is escaped.
func (f *Findings) HTML() (template.HTML, error) {
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, f); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}
