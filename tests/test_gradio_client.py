"""The public Gradio chat driven programmatically, as an API consumer would."""

from gradio_client import Client


def test_gradio_client_gets_cited_answer_and_refusal(live_server):
    client = Client(live_server, verbose=False)
    answer = client.predict("Siapa Menteri Ekonomi Kreatif?", api_name="/chat")
    assert "Riefky" in answer and "[1]" in answer and "https://" in answer
    refused = client.predict("What is the capital of Australia?", api_name="/chat")
    assert "do not hold the answer" in refused
    empty = client.predict("   ", api_name="/chat")
    assert "empty" in empty or "kosong" in empty
