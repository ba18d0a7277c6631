/**
 * A one-node ONNX model, `Y = A · Bᵀ` (Gemm with transB = 1), with symbolic
 * dimensions so one session serves every batch size. The protobuf is written
 * by hand: the model is fixed and tiny, and this avoids a protobuf dependency.
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, …).
 */
export function gemmTransBModel(elemType: "float" | "double" = "float"): Uint8Array {
  const onnxType = elemType === "float" ? 1 : 11; // TensorProto.DataType
  const tensorInfo = (name: string, dims: string[]): number[] => [
    ...string(1, name),
    ...message(
      2,
      message(1, [
        ...int(1, onnxType),
        ...message(
          2,
          dims.flatMap((d) => message(1, string(2, d))),
        ),
      ]),
    ),
  ];
  const transB = [...string(1, "transB"), ...int(3, 1), ...int(20, 2)]; // AttributeProto type INT = 2
  const node = [
    ...string(1, "A"),
    ...string(1, "B"),
    ...string(2, "Y"),
    ...string(3, "scores"),
    ...string(4, "Gemm"),
    ...message(5, transB),
  ];
  const graph = [
    ...message(1, node),
    ...string(2, "cosae_scores"),
    ...message(11, tensorInfo("A", ["rows", "d"])),
    ...message(11, tensorInfo("B", ["m", "d"])),
    ...message(12, tensorInfo("Y", ["rows", "m"])),
  ];
  const opset = message(8, int(2, 13));
  return new Uint8Array([...int(1, 8), ...string(2, "cosae"), ...opset, ...message(7, graph)]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function int(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}

function message(field: number, body: number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

function string(field: number, s: string): number[] {
  return message(field, [...new TextEncoder().encode(s)]);
}
