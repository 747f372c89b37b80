"""An amount of money in Thai words, as a receipt writes it under the figures (Excel's
BAHTTEXT): 1,250.50 is หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์, 1,250.00 หนึ่งพันสองร้อยห้าสิบบาทถ้วน.

The rules people check on a receipt: a final one after a higher digit is เอ็ด (11 สิบเอ็ด,
21 ยี่สิบเอ็ด, 101 หนึ่งร้อยเอ็ด, 1,000,001 หนึ่งล้านเอ็ด), two tens are ยี่สิบ, one ten is
สิบ, and the places repeat after each ล้าน (ten million is สิบล้าน)."""
from decimal import ROUND_HALF_UP, Decimal

DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
# The places within a group of six digits, from the ones up.
PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
MILLION = 1_000_000


def _below_million(number: int, after_higher: bool) -> str:
    """0 < number < 1,000,000 in words; after_higher: a higher group was said before it, so
    a lone one at the end is เอ็ด (1,000,001)."""
    words = []
    digits = str(number)
    for position, char in enumerate(digits):
        digit, place = int(char), len(digits) - 1 - position
        if digit == 0:
            continue
        if place == 1:
            words.append({1: "", 2: "ยี่"}.get(digit, DIGITS[digit]) + "สิบ")
        elif place == 0 and digit == 1 and (after_higher or number > 9):
            words.append("เอ็ด")
        else:
            words.append(DIGITS[digit] + PLACES[place])
    return "".join(words)


def integer_words(number: int) -> str:
    """A whole number >= 0 in Thai words (ศูนย์ for 0)."""
    if number < 0:
        raise ValueError("a negative number has no reading on a receipt")
    if number == 0:
        return DIGITS[0]
    return _words(number, after_higher=False)


def _words(number: int, after_higher: bool) -> str:
    millions, rest = divmod(number, MILLION)
    text = _words(millions, after_higher) + "ล้าน" if millions else ""
    if rest:
        text += _below_million(rest, after_higher or bool(millions))
    return text


def baht_text(amount: Decimal) -> str:
    """The amount in baht and satang, rounded to the satang, as a receipt writes it in words."""
    satang_total = int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if satang_total < 0:
        raise ValueError("a negative amount has no reading on a receipt")
    baht, satang = divmod(satang_total, 100)
    if satang == 0:
        return integer_words(baht) + "บาทถ้วน"
    satang_words = integer_words(satang) + "สตางค์"
    return satang_words if baht == 0 else integer_words(baht) + "บาท" + satang_words
