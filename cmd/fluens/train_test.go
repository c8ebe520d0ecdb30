package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestTrainResultsErrors checks that bad input to train, results and run
// gets one clear error naming the flag or folder.
func TestTrainResultsErrors(t *testing.T) {
	dir := t.TempDir()
	notPrep := filepath.Join(dir, "empty")
	os.Mkdir(notPrep, 0o755)
	tests := []struct {
		cmd  func() *cobra.Command
		args []string
		want string
	}{
		{newTrainCmd, []string{"--runs", dir}, `"data" not set`},
		{newTrainCmd, []string{"--data", filepath.Join(dir, "nope"), "--runs", dir}, "does not exist (run fluens prepare)"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir}, "holds no conv_div_mix_NN folder"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--epochs", "0"}, "epochs must be at least 1"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--lr", "-1"}, "learning rate"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--zoo", "resnet"}, `unknown zoo "resnet"`},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--seeds", "0"}, "--seeds must be at least 1"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--workers", "0"}, "--workers must be at least 1"},
		{newTrainCmd, []string{"--data", notPrep, "--runs", dir, "--cnns", "-2"}, "negative number of CNNs"},
		{newResultsCmd, []string{"--runs", notPrep}, "is not a result store"},
		{newResultsCmd, nil, "--runs is required"},
		{newRunCmd, []string{"--out", dir, "--profile", "huge"}, `--profile "huge" is unknown`},
		{newRunCmd, []string{"--profile", "quick"}, "--out is required"},
		{newZooCmd, []string{"--zoo", "x"}, `unknown zoo "x"`},
	}
	for _, tt := range tests {
		c := tt.cmd()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(tt.args)
		err := c.Execute()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: error %v, want one containing %q", c.Name(), tt.args, err, tt.want)
		}
	}
}

// TestZooCommand checks the zoo table: a header and one row per model.
func TestZooCommand(t *testing.T) {
	c := newZooCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetArgs([]string{"--zoo", "all", "--cnns", "5"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+12+5 || !strings.Contains(lines[0], "params") || !strings.Contains(lines[1], "linear") || !strings.Contains(lines[1], "7850") {
		t.Errorf("zoo table:\n%s", out.String())
	}
}
