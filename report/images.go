package report

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
)

// pngURI encodes img as a PNG data URI.
func pngURI(img image.Image) string {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic("report: encoding an in-memory PNG: " + err.Error()) // cannot fail for in-memory images
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// averageImage renders a 784-value average (0–255, 0 = background) as a
// 28×28 grey image, ink dark on white, stretched so its maximum is black
// (the max-normalization the measures use).
func averageImage(avg []float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	var hi float64
	for _, v := range avg {
		hi = math.Max(hi, v)
	}
	for i := range min(len(avg), 784) {
		v := 0.0
		if hi > 0 {
			v = avg[i] / hi
		}
		img.Pix[i] = 255 - uint8(math.Round(255*math.Max(0, math.Min(1, v))))
	}
	return img
}

// drawingsStrip renders drawings (784 bytes each, 0 = background) side by
// side, ink dark on white.
func drawingsStrip(ds [][]byte) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28*max(len(ds), 1)+len(ds)-1, 28))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for k, d := range ds {
		x0 := k * 29
		for p := range min(len(d), 784) {
			img.Pix[(p/28)*img.Stride+x0+p%28] = 255 - d[p]
		}
	}
	return img
}

// weightImage renders the positive part of one class's 784 perceptron
// weights as a 28×28 image: white at zero or below, dark blue at the
// largest weight.
func weightImage(w []float32) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 28, 28))
	var hi float32
	for _, v := range w {
		hi = max(hi, v)
	}
	for i := range min(len(w), 784) {
		t := 0.0
		if hi > 0 && w[i] > 0 {
			t = float64(w[i] / hi)
		}
		// White to #08306b.
		c := color.RGBA{
			R: uint8(math.Round(255 - t*(255-8))),
			G: uint8(math.Round(255 - t*(255-48))),
			B: uint8(math.Round(255 - t*(255-107))),
			A: 255,
		}
		img.SetRGBA(i%28, i/28, c)
	}
	return img
}
