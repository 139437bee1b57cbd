"""Chinese script: traditional characters as simplified, for what officials and mirrors write in
either script (amounts 萬元/罰款, citations 條/項, law names 廣告法).

A small hand table, not a conversion package: only the vocabulary of amounts, dates, citations and
law names is read, and each character here was met in real decisions or statute titles.
"""
from __future__ import annotations

_PAIRS = (
    "並并 佈布 係系 個个 備备 傳传 價价 億亿 內内 兩两 則则 劑剂 動动 務务 勞劳 區区 參参 單单 國国 圓圆 圖图 團团 執执 報报 場场 學学 實实 審审 寫写 對对 導导 屆届 "
    "層层 屬属 幣币 廠厂 廢废 廣广 廳厅 從从 應应 據据 擬拟 數数 於于 時时 書书 會会 條条 業业 標标 機机 檔档 權权 歸归 氣气 汙污 沒没 減减 準准 濟济 災灾 為为 無无 "
    "營营 獨独 環环 產产 當当 療疗 發发 監监 碼码 礦矿 節节 範范 紙纸 級级 細细 組组 結结 絡络 統统 經经 維维 網网 線线 縣县 總总 織织 罰罚 義义 聞闻 聯联 職职 與与 "
    "舊旧 華华 萬万 藥药 處处 號号 衛卫 見见 規规 視视 訂订 計计 訊讯 記记 設设 許许 詐诈 試试 認认 說说 證证 議议 護护 貨货 責责 貳贰 費费 貿贸 資资 質质 車车 輕轻 "
    "輛辆 輸输 辦办 農农 進进 運运 違违 遞递 適适 郵邮 鄉乡 醫医 銷销 鎮镇 門门 間间 關关 陸陆 險险 電电 項项 預预 領领 額额 類类 飲饮 駕驾 駛驶 體体 鬥斗 點点 "
)
TRADITIONAL = str.maketrans({p[0]: p[1] for p in "".join(_PAIRS).split()})


def to_simplified(text: str) -> str:
    return text.translate(TRADITIONAL)
