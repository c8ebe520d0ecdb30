package idx

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
)

// File names of the MNIST folder layout that TensorFlow's read_data_sets
// and torchvision's MNIST dataset read (the names of the files on
// http://yann.lecun.com/exdb/mnist/).
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// Files lists the four files of an MNIST-layout folder in a fixed order:
// train images, train labels, test images, test labels.
var Files = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// Dataset is a labelled set of grayscale images: image i is
// Images[i*Rows*Cols : (i+1)*Rows*Cols] (row-major, 0 = background) and has
// label Labels[i].
type Dataset struct {
	Rows, Cols int
	Images     []byte
	Labels     []uint8
}

// Len returns the number of images.
func (d Dataset) Len() int { return len(d.Labels) }

// Image returns image i (a slice of d.Images, not a copy).
func (d Dataset) Image(i int) []byte {
	n := d.Rows * d.Cols
	return d.Images[i*n : (i+1)*n : (i+1)*n]
}

// check reports whether d's sizes agree.
func (d Dataset) check() error {
	if d.Rows <= 0 || d.Cols <= 0 {
		return fmt.Errorf("images of %d×%d pixels", d.Rows, d.Cols)
	}
	if len(d.Images) != len(d.Labels)*d.Rows*d.Cols {
		return fmt.Errorf("%d labels need %d pixels of %d×%d images, have %d",
			len(d.Labels), len(d.Labels)*d.Rows*d.Cols, d.Rows, d.Cols, len(d.Images))
	}
	return nil
}

// WriteDir writes train and test into dir (which must exist) as the four
// gzipped files of the MNIST layout, each atomically.
func WriteDir(dir string, train, test Dataset) error {
	return writeDir(dir, train, test, writeAtomic)
}

// writeDir writes the four files of an MNIST folder with put (writeAtomic
// or writeNew).
func writeDir(dir string, train, test Dataset, put func(string, func(io.Writer) error) error) error {
	for _, s := range []struct {
		d                   Dataset
		images, labels, tag string
	}{{train, TrainImagesFile, TrainLabelsFile, "train"}, {test, TestImagesFile, TestLabelsFile, "test"}} {
		if err := s.d.check(); err != nil {
			return fmt.Errorf("idx: %s set: %w", s.tag, err)
		}
		ip, lp := filepath.Join(dir, s.images), filepath.Join(dir, s.labels)
		if err := put(ip, encoder(ip, []int{s.d.Len(), s.d.Rows, s.d.Cols}, s.d.Images)); err != nil {
			return err
		}
		if err := put(lp, encoder(lp, []int{s.d.Len()}, s.d.Labels)); err != nil {
			return err
		}
	}
	return nil
}

// ReadDir reads the train and test sets of an MNIST-layout folder. It
// checks that each set has as many labels as images.
func ReadDir(dir string) (train, test Dataset, err error) {
	return readDir(dir, 0)
}

// readDir is ReadDir with labels limited to 0…classes-1 when classes > 0.
func readDir(dir string, classes int) (train, test Dataset, err error) {
	train, err = readPair(filepath.Join(dir, TrainImagesFile), filepath.Join(dir, TrainLabelsFile), classes)
	if err != nil {
		return Dataset{}, Dataset{}, err
	}
	test, err = readPair(filepath.Join(dir, TestImagesFile), filepath.Join(dir, TestLabelsFile), classes)
	if err != nil {
		return Dataset{}, Dataset{}, err
	}
	if train.Rows != test.Rows || train.Cols != test.Cols {
		return Dataset{}, Dataset{}, fmt.Errorf("idx: %s: train images are %d×%d, test images %d×%d",
			dir, train.Rows, train.Cols, test.Rows, test.Cols)
	}
	return train, test, nil
}

// ErrCountMismatch is wrapped by the error of a set whose images and labels
// files hold different counts.
var ErrCountMismatch = errors.New("images and labels counts differ")

func readPair(imagesPath, labelsPath string, classes int) (Dataset, error) {
	im, err := ReadImages(imagesPath)
	if err != nil {
		return Dataset{}, err
	}
	labels, err := ReadLabels(labelsPath, classes)
	if err != nil {
		return Dataset{}, err
	}
	if len(labels) != im.N {
		return Dataset{}, fmt.Errorf("idx: %s: %w: %d labels, but %s holds %d images",
			labelsPath, ErrCountMismatch, len(labels), filepath.Base(imagesPath), im.N)
	}
	return Dataset{Rows: im.Rows, Cols: im.Cols, Images: im.Pixels, Labels: labels}, nil
}
