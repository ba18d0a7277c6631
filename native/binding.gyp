{
  "targets": [
    {
      "target_name": "cosae_native",
      "sources": [
        "addon.cc",
        "attention.cc",
        "dense.cc",
        "score_transform.cc",
        "select.cc",
        "sparse.cc",
        "latent.cc",
        "residual.cc",
        "optimizer.cc"
      ],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-march=native",
        "-fopenmp-simd",
        "-ffp-contract=off",
        "-fexceptions"
      ],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
