import numpy as np
import pytest

pytestmark = pytest.mark.model  # needs the built models (make models)

SENTENCE = "Serverless inference keeps small models close to the data."
# First five values of SENTENCE's embedding from the float32 PyTorch model:
# transformers AutoModel on the build's reference-fp32 folder (the source
# safetensors), mean pooling over the attention mask, then L2 normalisation.
FLOAT32_FIRST_VALUES = [0.013377, -0.002267, -0.002415, 0.07767, 0.063189]
# The built model is int8, whose values differ from float32 by up to about 0.007 here.
# The build itself checks a cosine of at least 0.99 against PyTorch on 256 sentences,
# and a wrong pooling, normalisation or model would miss these values by far more.
INT8_TOLERANCE = 0.01


def test_golden_embedding(embedding_model):
    vector = embedding_model.embed([SENTENCE])[0]
    np.testing.assert_allclose(vector[:5], FLOAT32_FIRST_VALUES, atol=INT8_TOLERANCE)


def test_shape_dtype_and_norm(embedding_model):
    vectors = embedding_model.embed(["one", "two words", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_keeps_input_order(embedding_model):
    texts = [f"sentence number {i} " + "padding " * (i % 7) for i in range(11)]
    batched = embedding_model.embed(texts, batch_size=4)
    for index, text in enumerate(texts):
        np.testing.assert_allclose(batched[index], embedding_model.embed([text])[0], atol=1e-5)


def test_similar_sentences_score_higher(embedding_model):
    query, close, far = embedding_model.embed(
        ["How do I reset my password?", "Steps to change a forgotten password", "The recipe needs two eggs"]
    )
    assert query @ close > query @ far


def test_count_tokens_includes_cls_and_sep(embedding_model):
    assert embedding_model.count_tokens(["hello world", ""]) == [4, 2]


def test_long_input_is_truncated(embedding_model):
    long_text = "token " * 1000
    assert embedding_model.count_tokens([long_text]) == [embedding_model.max_seq_length]
    assert embedding_model.embed([long_text]).shape == (1, 384)


def test_empty_input_list(embedding_model):
    assert embedding_model.embed([]).shape == (0, 384)
    assert embedding_model.count_tokens([]) == []


def test_single_string_is_rejected(embedding_model):
    with pytest.raises(TypeError, match="sequence of strings"):
        embedding_model.embed("not a list")
