// Command fluens studies how dataset composition makes neural networks decay.
//
// It only wires command-line flags to the packages of the module; every
// command lives in its own file and registers itself with the root command
// from an init function.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

var rootCmd = &cobra.Command{
	Use:   "fluens",
	Short: "Study how dataset composition makes neural networks decay",
	Long: `fluens rebuilds the Forma Fluens "model decay" experiments on Google's
QuickDraw drawings: it ranks labels as convergent or divergent by their
average image, builds eleven MNIST-format datasets that slide from
all-convergent to all-divergent, trains a zoo of MLPs and random CNNs on
each, measures each model's decay and reports it.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version of fluens",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "fluens", version)
		},
	})
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "fluens:", err)
		os.Exit(1)
	}
}
