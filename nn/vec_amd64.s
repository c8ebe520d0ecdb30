//go:build amd64 && !purego

#include "textflag.h"

// func adamAVX(p, g, m1, m2 []float32, c *[7]float32)
//
// One Adam step on len(p)/8·8 elements, eight at a time, with the same
// operations in the same order as adamRange's Go loop (no fused
// multiply-add): c holds β1, 1−β1, β2, 1−β2, lr/(1−β1ᵗ), 1/√(1−β2ᵗ), ε.
TEXT ·adamAVX(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), DI
	MOVQ p_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m1_base+48(FP), R8
	MOVQ m2_base+72(FP), R9
	MOVQ c+96(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VMULPS  (R8), Y8, Y1
	VMULPS  Y0, Y9, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (R8)
	VMULPS  (R9), Y10, Y3
	VMULPS  Y0, Y11, Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5
	VMULPS  Y13, Y5, Y5
	VADDPS  Y14, Y5, Y5
	VMULPS  Y1, Y12, Y6
	VDIVPS  Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func scaleBytesAVX2(dst []float32, src []byte)
//
// dst[i] = float32(src[i]) · float32(1/255) for the first len(dst)/8·8
// elements (the same product as the byteScale table holds).
TEXT ·scaleBytesAVX2(SB), NOSPLIT, $0-48
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVL         $0x3b808081, AX // float32(1.0/255)
	MOVL         AX, X1
	VBROADCASTSS X1, Y1
	SHRQ         $3, CX
	JZ           sdone

sloop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS    Y1, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sloop

sdone:
	VZEROUPPER
	RET

// func reluMaskAVX2(dy, y []float32)
//
// For the first len(dy)/8·8 elements: dy[i] = 0 where y[i] ≤ 0, else dy[i]
// unchanged (also where y[i] is NaN): a compare "not less or equal" (6)
// against zero gives the mask that is ANDed into dy, as reluMask's Go loop.
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-48
	MOVQ   dy_base+0(FP), DI
	MOVQ   dy_len+8(FP), CX
	MOVQ   y_base+24(FP), SI
	VXORPS Y2, Y2, Y2
	SHRQ   $3, CX
	JZ     mdone

mloop:
	VMOVUPS (SI), Y0
	VCMPPS  $6, Y2, Y0, Y0
	VANDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     mloop

mdone:
	VZEROUPPER
	RET

// func colSumsAVX2(dst, m []float32, rows, ld int)
//
// dst[j] = sum over r < rows, in order, of m[r·ld+j], starting from +0, for
// the first len(dst)/8·8 columns (the same additions in the same order as
// colSums' Go loop). Columns go 32 at a time (four accumulators), then 8.
TEXT ·colSumsAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ m_base+24(FP), SI
	MOVQ rows+48(FP), R8
	MOVQ ld+56(FP), R9
	SHLQ $2, R9
	SHRQ $3, CX // blocks of 8 columns left

cblock32:
	CMPQ   CX, $4
	JLT    cblock8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   SI, AX
	MOVQ   R8, BX
	TESTQ  BX, BX
	JZ     cstore32

crow32:
	VADDPS (AX), Y0, Y0
	VADDPS 32(AX), Y1, Y1
	VADDPS 64(AX), Y2, Y2
	VADDPS 96(AX), Y3, Y3
	ADDQ   R9, AX
	DECQ   BX
	JNZ    crow32

cstore32:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $4, CX
	JMP     cblock32

cblock8:
	TESTQ  CX, CX
	JZ     cdone
	VXORPS Y0, Y0, Y0
	MOVQ   SI, AX
	MOVQ   R8, BX
	TESTQ  BX, BX
	JZ     cstore8

crow8:
	VADDPS (AX), Y0, Y0
	ADDQ   R9, AX
	DECQ   BX
	JNZ    crow8

cstore8:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JMP     cblock8

cdone:
	VZEROUPPER
	RET
