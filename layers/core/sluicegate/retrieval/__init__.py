"""Document collections and retrieval for chat: chunking, embeddings, pgvector search, prompt templates."""
