-- Document collections for retrieval-augmented chat.
--
-- Every table carries tenant_id, and the composite foreign keys make a chunk's
-- tenant and collection equal to its document's, and a document's tenant equal
-- to its collection's. Queries filter on tenant_id first, so two tenants may
-- use the same collection name and document ids without seeing each other.

CREATE TABLE collections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    -- Kept in step with the chunks table by every write, so the search can
    -- choose between exact and HNSW search without counting rows.
    chunk_count bigint NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE documents (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       text NOT NULL,
    collection_id   bigint NOT NULL,
    -- The id the client chose; unique within its collection.
    external_id     text NOT NULL,
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    content_sha256  bytea NOT NULL,
    char_count      integer NOT NULL CHECK (char_count >= 0),
    -- The chunking settings and embedding model that produced the chunks; a
    -- re-sent document with the same text and the same values keeps its chunks.
    chunking        text NOT NULL,
    embedding_model text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, collection_id, external_id),
    UNIQUE (tenant_id, collection_id, id),
    FOREIGN KEY (tenant_id, collection_id) REFERENCES collections (tenant_id, id) ON DELETE CASCADE
);

-- Metadata filters use containment (metadata @> '{"lang": "en"}').
CREATE INDEX documents_metadata_idx ON documents USING gin (metadata jsonb_path_ops);

CREATE TABLE chunks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     text NOT NULL,
    collection_id bigint NOT NULL,
    document_id   bigint NOT NULL,
    -- Position of the chunk in its document, from 0.
    ordinal       integer NOT NULL CHECK (ordinal >= 0),
    content       text NOT NULL,
    token_count   integer NOT NULL CHECK (token_count > 0),
    -- L2-normalised all-MiniLM-L6-v2 embedding.
    embedding     vector(384) NOT NULL,
    UNIQUE (document_id, ordinal),
    FOREIGN KEY (tenant_id, collection_id, document_id)
        REFERENCES documents (tenant_id, collection_id, id) ON DELETE CASCADE
);

-- Exact search and deletes scan one tenant's collection through this index.
CREATE INDEX chunks_collection_idx ON chunks (tenant_id, collection_id, document_id);

-- One HNSW graph for all tenants; pgvector 0.6 cannot partition it by tenant.
-- The search raises hnsw.ef_search for collections that are a small share of
-- the table and falls back to exact search when the filtered scan comes up
-- short (see docs/retrieval.md). m and ef_construction are pgvector's defaults.
CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);
