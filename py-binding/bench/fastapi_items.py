"""The FastAPI endpoint of the framework benchmark: path and query parameters in, a
pydantic model out."""

from typing import List, Optional

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    item_id: int
    q: Optional[str] = None
    price: float
    tags: List[str]


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int, q: Optional[str] = None) -> Item:
    return Item(item_id=item_id, q=q, price=9.5, tags=["a", "b"])
