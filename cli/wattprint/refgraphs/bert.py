"""MLPerf BERT-Large on SQuAD v1.1: 24 layers, hidden 1024, 16 heads, FFN 4096, sequence 384.

Architecture: Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers" (NAACL 2019),
BERT-Large uncased (vocabulary 30522, 512 positions, 2 token types), with the SQuAD span head
(one 1024->2 linear layer for the start/end logits) and no pooler, as in the MLPerf reference
(mlcommons/inference language/bert: max_seq_length 384, doc_stride 128).

Written with standard ONNX ops, as an exporter writes an unfused encoder: MatMul + Add for every
linear layer, attention as MatMul -> scale -> + mask -> Softmax -> MatMul, Gelu (opset 20),
LayerNormalization (opset 17).
"""

from __future__ import annotations

import onnx
from onnx import TensorProto

from ._builder import GraphBuilder

SEQ = 384
LAYERS = 24
HIDDEN = 1024
HEADS = 16
FFN = 4096
VOCAB = 30522
POSITIONS = 512
TOKEN_TYPES = 2


def build_bert_large(batch: int = 1, seq: int = SEQ) -> onnx.ModelProto:
    b = GraphBuilder("bert_large_squad")
    i64 = TensorProto.INT64
    ids = b.input("input_ids", (batch, seq), i64)
    seg = b.input("segment_ids", (batch, seq), i64)
    mask = b.input("input_mask", (batch, seq), i64)
    hd = HIDDEN // HEADS

    # embeddings: word + position + token type, then LayerNorm
    word = b.node("Gather", [b.weight("word_emb", (VOCAB, HIDDEN)), ids], (batch, seq, HIDDEN))
    pos = b.node("Gather", [b.weight("pos_emb", (POSITIONS, HIDDEN)), b.const_i64("pos_ids", list(range(seq)))],
                 (seq, HIDDEN))
    typ = b.node("Gather", [b.weight("type_emb", (TOKEN_TYPES, HIDDEN)), seg], (batch, seq, HIDDEN))
    x = b.layernorm(b.add(b.add(word, pos), typ))

    # additive attention mask: (1 - mask) * -10000, broadcast over heads and query positions
    m = b.reshape(b.node("Cast", [mask], (batch, seq), to=TensorProto.FLOAT), (batch, 1, 1, seq))
    m = b.binary("Mul", b.binary("Sub", b.const_f32("one", 1.0), m), b.const_f32("neg", -10000.0))
    scale = b.const_f32("scale", hd**-0.5)

    def heads(t: str, perm: tuple[int, ...]) -> str:
        return b.transpose(b.reshape(t, (batch, seq, HEADS, hd)), perm)

    for _ in range(LAYERS):
        q = heads(b.linear(x, HIDDEN, hint="q"), (0, 2, 1, 3))  # [B, h, S, d]
        k = heads(b.linear(x, HIDDEN, hint="k"), (0, 2, 3, 1))  # [B, h, d, S]
        v = heads(b.linear(x, HIDDEN, hint="v"), (0, 2, 1, 3))
        s = b.add(b.binary("Mul", b.matmul(q, k), scale), m)
        p = b.unary("Softmax", s, axis=-1)
        ctx = b.reshape(b.transpose(b.matmul(p, v), (0, 2, 1, 3)), (batch, seq, HIDDEN))
        x = b.layernorm(b.add(b.linear(ctx, HIDDEN, hint="attn_out"), x))
        h = b.unary("Gelu", b.linear(x, FFN, hint="ffn_in"))
        x = b.layernorm(b.add(b.linear(h, HIDDEN, hint="ffn_out"), x))

    b.output(b.linear(x, 2, hint="qa"))  # start / end logits
    return b.model("MLPerf BERT-Large SQuAD v1.1, sequence 384 (shapes only, no weights)")
