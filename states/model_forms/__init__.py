"""The model forms of the Regulation of the Chairman of the Council of Ministers of 24 October 2018 (Dz.U. 2018
poz. 2057) as pydantic models: what an organisation files through the portal, checked the same way in the browser
and in the engine, and hashed into the receipt that proves what was filed (``canonical``)."""
