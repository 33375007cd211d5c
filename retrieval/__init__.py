"""Knowledge base and retrieval: parsing, chunking, indexing and searching official documents.

Keep this file free of imports: `retrieval.normalize` is imported by Rasa (Python 3.10, standard
library only), and importing the package must not pull in torch or faiss.
"""
