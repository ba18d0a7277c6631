{
  # cosae_gemm: "openblas" (cblas_sgemm) or "cosae" (gemm.cc alone). scripts/build-native.mjs
  # sets COSAE_GEMM after checking that cblas.h and libopenblas compile and link here.
  "variables": {
    "cosae_gemm%": "<!(node -p \"process.env.COSAE_GEMM || 'cosae'\")"
  },
  "targets": [
    {
      "target_name": "cosae_native",
      "sources": [
        "addon.cc",
        "attention.cc",
        "layer_math.cc",
        "centre.cc",
        "dense.cc",
        "gemm.cc",
        "entry.cc",
        "score_transform.cc",
        "select.cc",
        "sparse.cc",
        "latent.cc",
        "residual.cc",
        "optimizer.cc"
      ],
      "cflags_cc!": ["-fno-exceptions"],
      # -fno-math-errno: with errno, std::sqrt kept Adam scalar; sqrt and division round alike either way.
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-march=native",
        "-fopenmp-simd",
        "-ffp-contract=off",
        "-fno-math-errno",
        "-fexceptions"
      ],
      "libraries": ["-lpthread"],
      "conditions": [
        [
          "cosae_gemm=='openblas'",
          {
            "defines": ["COSAE_OPENBLAS"],
            "libraries": ["-lopenblas"]
          }
        ]
      ]
    }
  ]
}
