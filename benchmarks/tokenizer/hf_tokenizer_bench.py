#!/usr/bin/env python3
"""Encode throughput of Hugging Face `tokenizers` (Rust) on the SeekSharp tokenizer benchmark corpus.

Mirrors benchmarks/SeekSharp.Benchmarks.Tokenizer exactly: the corpus is JSON Lines ({"text": ...} per
document, written by the C# benchmark), every document is encoded on its own with
Tokenizer.encode(text, add_special_tokens=False) on ONE thread, one warm-up pass (which also computes the
id checksum), then best and median MB/s (MB = 10^6 UTF-8 bytes of the documents) over --runs timed passes.
The printed `tokens` and `ids_fnv1a64` must equal the C# benchmark's: same ids on the whole corpus.

Usage (both in the same invocation, same machine):
  dotnet run -c Release --project benchmarks/SeekSharp.Benchmarks.Tokenizer -- --corpus /tmp/corpus.jsonl
  python3 benchmarks/tokenizer/hf_tokenizer_bench.py --tokenizer ../shared/golden/tokenizer/tokenizer.json \
      --corpus /tmp/corpus.jsonl
"""
import os

# Single thread: must be set before tokenizers is imported (its Rayon pool reads them at start).
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["RAYON_RS_NUM_CPUS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse
import json
import statistics
import time

from tokenizers import Tokenizer, __version__ as tokenizers_version

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def fnv1a_ids(hash_value, ids):
    """FNV-1a 64 over each id's 4 little-endian bytes (the same as the C# benchmark)."""
    for token_id in ids:
        for shift in (0, 8, 16, 24):
            hash_value ^= (token_id >> shift) & 0xFF
            hash_value = (hash_value * FNV_PRIME) & MASK64
    return hash_value


def encode_all(tokenizer, documents):
    tokens = 0
    for document in documents:
        tokens += len(tokenizer.encode(document, add_special_tokens=False).ids)
    return tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="tokenizer.json (the same file as the C# run)")
    parser.add_argument("--corpus", required=True, help="corpus.jsonl written by the C# benchmark")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        documents = [json.loads(line)["text"] for line in f if line.strip()]
    corpus_bytes = sum(len(d.encode("utf-8")) for d in documents)
    tokenizer = Tokenizer.from_file(args.tokenizer)

    # Warm-up pass, also the checksum (kept out of the timed passes).
    checksum = FNV_OFFSET
    tokens = 0
    for document in documents:
        ids = tokenizer.encode(document, add_special_tokens=False).ids
        tokens += len(ids)
        checksum = fnv1a_ids(checksum, ids)

    seconds = []
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        encode_all(tokenizer, documents)
        seconds.append(time.perf_counter() - start)
    seconds.sort()

    def mb_per_s(s):
        return corpus_bytes / 1e6 / s

    print(json.dumps({
        "implementation": f"HF tokenizers {tokenizers_version}",
        "mode": "one encode per corpus document, add_special_tokens=false, single thread",
        "tokenizer": args.tokenizer,
        "corpus": args.corpus,
        "documents": len(documents),
        "corpus_bytes": corpus_bytes,
        "tokens": tokens,
        "ids_fnv1a64": f"{checksum:016x}",
        "runs": len(seconds),
        "run_seconds": seconds,
        "best_mb_per_s": round(mb_per_s(seconds[0]), 3),
        "median_mb_per_s": round(mb_per_s(seconds[len(seconds) // 2]), 3),
    }, indent=2))


if __name__ == "__main__":
    main()
