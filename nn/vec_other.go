//go:build !amd64 || purego

package nn

// haveAdamAVX is false: there is no vector Adam on this platform.
const haveAdamAVX = false

// adamVector handles no elements here: the Go loop does them all.
func adamVector(p, g, m1, m2 []float32, c *[7]float32) int { return 0 }

// haveScaleAVX2 is false: there is no vector byte conversion here.
const haveScaleAVX2 = false

// scaleVector converts no bytes here: the Go loop does them all.
func scaleVector(dst []float32, src []byte) int { return 0 }

// reluMaskVector masks no elements here: the Go loop does them all.
func reluMaskVector(dy, y []float32) int { return 0 }

// colSumsVector sums no columns here: the Go loop does them all.
func colSumsVector(dst, m []float32, rows, ld int) int { return 0 }
