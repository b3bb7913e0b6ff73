"""The model forms of the Regulations of the Chairman of the Public Benefit Committee of 24 October 2018 (Dz.U. 2018
poz. 2057: ``offer``, an open call's offer; poz. 2055: ``simplified_offer``, a small grant's) as pydantic models: what an organisation files through the portal, checked the same way in the browser
and in the engine, and hashed into the receipt that proves what was filed (``canonical``)."""
