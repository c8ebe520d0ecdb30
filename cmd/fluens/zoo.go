package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/zoo"
)

func init() { rootCmd.AddCommand(newZooCmd()) }

func newZooCmd() *cobra.Command {
	var (
		which string
		cnns  int
		seed  uint64
	)
	cmd := &cobra.Command{
		Use:   "zoo",
		Short: "List the model zoo (spec, depth, parameters, FLOPs)",
		Long: `zoo lists the models fluens trains: the twelve MLPs of depth < 4 and/or
CNNs drawn at random by the seeded sampler. Each line gives the model's id
(a hash of its spec), family, canonical spec string, depth (hidden layers),
trainable parameters and forward FLOPs per image (2 × multiply-adds).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			models, err := zoo.Build(zoo.Which(which), cnns, seed)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "id\tfamily\tspec\tdepth\tparams\tflops\t")
			for _, m := range models {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t\n", m.Spec.ID(), m.Family, m.Spec, m.Spec.Depth(), m.Spec.Params(), m.Spec.FLOPs())
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&which, "zoo", "all", "which models: mlp, cnn or all")
	cmd.Flags().IntVar(&cnns, "cnns", zoo.PaperCNNs, "number of random CNNs")
	cmd.Flags().Uint64Var(&seed, "seed", zoo.DefaultSeed, "seed of the CNN sampler")
	return cmd
}
