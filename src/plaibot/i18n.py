"""User-facing strings in Indonesian and English, in one place."""

from __future__ import annotations

from plaibot.text import Language

EXAMPLES: dict[Language, list[str]] = {
    "id": [
        "Apa itu PL(AI)GROUND?",
        "Kapan Hetero Space Banyumas dibuka?",
        "Berapa jumlah kolaborator Hetero Space?",
        "Siapa Menteri Ekonomi Kreatif?",
    ],
    "en": [
        "What is PL(AI)GROUND?",
        "Where is Hetero Space Solo?",
        "Which awards has Hetero Space won?",
        "When did Impala Space open?",
    ],
}

STRINGS: dict[str, dict[Language, str]] = {
    "refusal": {
        "id": "Maaf, dokumen saya tidak memuat jawaban untuk pertanyaan itu, jadi saya tidak "
        "akan menebak.",
        "en": "Sorry, my documents do not hold the answer to that question, so I will not guess.",
    },
    "suggest": {
        "id": "Saya bisa menjawab pertanyaan tentang PL(AI)GROUND, Hetero Space (Semarang, Solo, "
        "Banyumas), Kementerian Ekonomi Kreatif, dan Impala Network. Misalnya:",
        "en": "I can answer questions about PL(AI)GROUND, Hetero Space (Semarang, Solo, "
        "Banyumas), the Ministry of Creative Economy and Impala Network. For example:",
    },
    "sources": {"id": "Sumber", "en": "Sources"},
    "empty_question": {
        "id": "Pertanyaannya kosong. Silakan tulis pertanyaan.",
        "en": "The question is empty. Please type a question.",
    },
    "long_question": {
        "id": "Pertanyaannya terlalu panjang (maksimal {limit} karakter).",
        "en": "The question is too long (at most {limit} characters).",
    },
    "not_ready": {
        "id": "Indeks dokumen belum siap. Jalankan `plaibot index` lalu coba lagi.",
        "en": "The document index is not ready. Run `plaibot index` and try again.",
    },
    "error": {
        "id": "Maaf, terjadi kesalahan saat menjawab. Silakan coba lagi sebentar lagi.",
        "en": "Sorry, something went wrong while answering. Please try again shortly.",
    },
    "rate_limited": {
        "id": "Terlalu banyak pertanyaan dalam waktu singkat. Coba lagi dalam {seconds} detik.",
        "en": "Too many questions in a short time. Please try again in {seconds} seconds.",
    },
    "title": {
        "id": "plaibot: tanya jawab ekosistem AI dan ekonomi kreatif Indonesia",
        "en": "plaibot: questions about Indonesia's AI and creative-economy ecosystem",
    },
    "intro": {
        "id": "Tanyakan tentang PL(AI)GROUND, Hetero Space, Kementerian Ekonomi Kreatif, dan "
        "Impala Network. Setiap jawaban menyertakan sumbernya.",
        "en": "Ask about PL(AI)GROUND, Hetero Space, the Ministry of Creative Economy and Impala "
        "Network. Every answer cites its sources.",
    },
    "placeholder": {
        "id": "Tulis pertanyaan dalam bahasa Indonesia atau Inggris…",
        "en": "Type a question in Indonesian or English…",
    },
    "send": {"id": "Kirim", "en": "Send"},
    "clear": {"id": "Mulai ulang", "en": "Start over"},
    "language": {"id": "Bahasa antarmuka", "en": "Interface language"},
    "examples": {"id": "Contoh pertanyaan", "en": "Example questions"},
    "feedback_comment": {
        "id": "Terima kasih! Ingin menambahkan komentar? (opsional, tekan Enter untuk mengirim)",
        "en": "Thank you! Would you like to add a comment? (optional, press Enter to send)",
    },
    "feedback_thanks": {
        "id": "Terima kasih atas masukan Anda.",
        "en": "Thank you for your feedback.",
    },
    "feedback_unavailable": {
        "id": "Masukan tidak dapat disimpan saat ini; silakan coba lagi nanti.",
        "en": "Feedback cannot be saved right now; please try again later.",
    },
    "llm_unavailable": {
        "id": "(Model bahasa sedang tidak tersedia; jawaban ini dikutip langsung dari dokumen.)",
        "en": "(The language model is unavailable right now; this answer quotes the documents "
        "directly.)",
    },
    "llm_unchecked": {
        "id": "(Jawaban model bahasa tidak cocok dengan sumbernya; jawaban ini dikutip langsung "
        "dari dokumen.)",
        "en": "(The language model's answer did not match its sources; this answer quotes the "
        "documents directly.)",
    },
}


def t(key: str, language: Language, **values: object) -> str:
    """The string `key` in `language`, with `{placeholders}` filled in."""
    return STRINGS[key][language].format(**values)
